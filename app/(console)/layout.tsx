import Link from "next/link";
import type { ReactNode } from "react";
import { requireSession } from "../_components/session";
import { SignOutButton } from "../_components/sign-out-button";

export const dynamic = "force-dynamic";

const NAV = [
  { href: "/campaigns", label: "Campaigns" },
  { href: "/clients", label: "Clients" },
  { href: "/messages", label: "Messages" },
  { href: "/replies", label: "Replies" },
  { href: "/invoices", label: "Invoices" },
  { href: "/providers", label: "Providers" },
  { href: "/dead-letters", label: "Dead letters" },
  { href: "/opt-outs", label: "Opt-outs" },
];

export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const session = await requireSession();
  return (
    <div className="flex min-h-screen">
      <aside className="w-56 shrink-0 border-r border-slate-200 bg-white px-4 py-6">
        <Link href="/campaigns" className="block px-2 text-xl font-semibold tracking-tight text-indigo-700">
          Volley
        </Link>
        <nav className="mt-8 space-y-1">
          {NAV.map((item) => (
            <Link
              key={item.href}
              href={item.href}
              className="block rounded-md px-2 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-100"
            >
              {item.label}
            </Link>
          ))}
        </nav>
      </aside>
      <div className="min-w-0 flex-1">
        <header className="flex items-center justify-end gap-4 border-b border-slate-200 bg-white px-8 py-3 text-sm">
          <span className="text-slate-600">
            {session.name} · <span className="uppercase text-slate-400">{session.role}</span>
          </span>
          <SignOutButton />
        </header>
        <main className="px-8 py-6">{children}</main>
      </div>
    </div>
  );
}
