"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useTRPC } from "../_trpc/react";

export function SignOutButton() {
  const trpc = useTRPC();
  const router = useRouter();
  const logout = useMutation(trpc.auth.logout.mutationOptions({ onSuccess: () => router.replace("/login") }));
  return (
    <button
      className="rounded-md border border-slate-300 px-3 py-1 text-slate-700 hover:bg-slate-50"
      onClick={() => logout.mutate()}
    >
      Sign out
    </button>
  );
}
