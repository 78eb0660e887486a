import { redirect } from "next/navigation";
import { currentSession } from "../_components/session";
import { LoginForm } from "./login-form";

export const dynamic = "force-dynamic";

export default async function LoginPage() {
  if (await currentSession()) redirect("/campaigns");
  return (
    <main className="flex min-h-screen items-center justify-center p-6">
      <div className="w-full max-w-sm rounded-xl border border-slate-200 bg-white p-8 shadow-sm">
        <h1 className="text-2xl font-semibold tracking-tight">Volley</h1>
        <p className="mt-1 text-sm text-slate-500">Sign in to the operator console</p>
        <LoginForm />
      </div>
    </main>
  );
}
