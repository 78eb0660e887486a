"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { formatMoney } from "@/server/billing/money";
import { useTRPC } from "../../_trpc/react";

/** Admins only: invoices a closed month now instead of waiting for the scheduler (safe to repeat). */
export function GenerateInvoicesForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [month, setMonth] = useState("");
  const generate = useMutation(
    trpc.invoices.generate.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.invoices.pathKey() }),
    }),
  );
  const fieldErrors = generate.error?.data?.zodError?.fieldErrors as Record<string, string[] | undefined> | undefined;
  const monthError = fieldErrors?.month?.join(", ");
  const result = generate.data;
  return (
    <form
      className="mt-6 flex flex-wrap items-end gap-3 rounded-lg border border-slate-200 bg-white p-4"
      onSubmit={(e) => {
        e.preventDefault();
        generate.mutate({ month });
      }}
    >
      <label className="block text-sm font-medium">
        Month (UTC)
        <input
          type="month"
          className="mt-1 block rounded-md border border-slate-300 px-3 py-2 text-sm focus:border-indigo-500 focus:outline-none"
          value={month}
          onChange={(e) => setMonth(e.target.value)}
          required
        />
      </label>
      <button
        type="submit"
        disabled={generate.isPending}
        className="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500 disabled:opacity-50"
      >
        {generate.isPending ? "Generating…" : "Generate invoices for month"}
      </button>
      <p className="text-sm" role="status">
        {generate.error && <span className="text-red-600">{monthError ?? generate.error.message}</span>}
        {result && (
          <span className="text-slate-700">
            {result.invoiceCount === 0
              ? `No new invoices for ${result.month}.`
              : `Generated ${result.invoiceCount} ${result.invoiceCount === 1 ? "invoice" : "invoices"} for ${result.month}: ${result.totals
                  .map((t) => formatMoney(t.total, t.currency))
                  .join(", ")}`}
          </span>
        )}
      </p>
    </form>
  );
}
