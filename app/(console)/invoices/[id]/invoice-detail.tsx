"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import type { ReactNode } from "react";
import { formatMoney } from "@/server/billing/money";
import { formatMonth } from "@/server/invoices/period";
import { formatDateTime } from "../../../_components/format";
import { useTRPC } from "../../../_trpc/react";

const categoryLabel = (c: string) => c.toLowerCase().replace("_", " ");

export function InvoiceDetail({ id }: { id: string }) {
  const trpc = useTRPC();
  const invoice = useQuery(trpc.invoices.get.queryOptions({ id }));
  if (invoice.isLoading) return <p className="text-slate-500">Loading…</p>;
  if (invoice.error) return <p className="text-red-600">{invoice.error.message}</p>;
  const inv = invoice.data!;
  const money = (amount: bigint) => formatMoney(amount, inv.currency);

  return (
    <div className="space-y-6">
      <div>
        <Link href="/invoices" className="text-sm text-indigo-700 hover:underline">
          ← Invoices
        </Link>
        <h1 className="mt-1 text-2xl font-semibold tracking-tight">
          Invoice #{inv.number} · {inv.client.name}
        </h1>
      </div>

      <dl className="grid gap-4 sm:grid-cols-4">
        <Fact label="Client">
          <Link href={`/clients/${inv.client.id}`} className="text-indigo-700 hover:underline">
            {inv.client.name}
          </Link>
        </Fact>
        <Fact label="Period">
          {formatMonth(inv.periodStart)}
          <span className="block text-xs font-normal text-slate-500">
            {formatDateTime(inv.periodStart)} – {formatDateTime(inv.periodEnd)}
          </span>
        </Fact>
        <Fact label="Total">
          <span data-testid="invoice-total">{money(inv.total)}</span>
        </Fact>
        <Fact label="Messages / segments">
          {inv.messageCount.toLocaleString("en-US")} / {inv.segmentCount.toLocaleString("en-US")}
          <span className="block text-xs font-normal text-slate-500">issued {formatDateTime(inv.createdAt)}</span>
        </Fact>
      </dl>

      <section className="overflow-hidden rounded-lg border border-slate-200 bg-white">
        <table className="min-w-full divide-y divide-slate-200 text-sm">
          <thead className="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
            <tr>
              <th className="px-4 py-3">Category</th>
              <th className="px-4 py-3">Destination</th>
              <th className="px-4 py-3 text-right">Messages</th>
              <th className="px-4 py-3 text-right">Segments</th>
              <th className="px-4 py-3 text-right">Amount</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100" data-testid="invoice-lines">
            {inv.lines.map((l) => (
              <tr key={l.id}>
                <td className="px-4 py-3">{categoryLabel(l.category)}</td>
                <td className="px-4 py-3">{l.destination === "ZZ" ? "unknown" : l.destination}</td>
                <td className="px-4 py-3 text-right tabular-nums">{l.messages.toLocaleString("en-US")}</td>
                <td className="px-4 py-3 text-right tabular-nums">{l.segments.toLocaleString("en-US")}</td>
                <td className="px-4 py-3 text-right tabular-nums">{money(l.amount)}</td>
              </tr>
            ))}
          </tbody>
          <tfoot className="border-t-2 border-slate-300 bg-slate-50 font-semibold">
            <tr data-testid="invoice-totals">
              <td className="px-4 py-3" colSpan={2}>
                Total
              </td>
              <td className="px-4 py-3 text-right tabular-nums">{inv.messageCount.toLocaleString("en-US")}</td>
              <td className="px-4 py-3 text-right tabular-nums">{inv.segmentCount.toLocaleString("en-US")}</td>
              <td className="px-4 py-3 text-right tabular-nums">{money(inv.total)}</td>
            </tr>
          </tfoot>
        </table>
      </section>
    </div>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="rounded-lg border border-slate-200 bg-white p-4">
      <dt className="text-xs font-semibold uppercase tracking-wide text-slate-500">{label}</dt>
      <dd className="mt-1 font-semibold">{children}</dd>
    </div>
  );
}
