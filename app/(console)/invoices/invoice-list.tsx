"use client";

import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { formatMoney } from "@/server/billing/money";
import { formatMonth } from "@/server/invoices/period";
import { formatDateTime } from "../../_components/format";
import { useTRPC } from "../../_trpc/react";
import { invoiceListInput, invoiceListPaging } from "./list-options";

export function InvoiceList() {
  const trpc = useTRPC();
  const [clientId, setClientId] = useState<string | null>(null);
  const clients = useQuery(trpc.clients.list.queryOptions());
  const query = useInfiniteQuery(
    trpc.invoices.list.infiniteQueryOptions(invoiceListInput(clientId), invoiceListPaging),
  );
  const items = query.data?.pages.flatMap((p) => p.items) ?? [];
  const postpaid = clients.data?.filter((c) => c.billingType === "POSTPAID") ?? [];
  return (
    <div className="mt-6 space-y-4">
      <label className="flex items-center gap-2 text-sm font-medium">
        Client
        <select
          className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm"
          value={clientId ?? ""}
          onChange={(e) => setClientId(e.target.value || null)}
        >
          <option value="">All postpaid clients</option>
          {postpaid.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
        </select>
      </label>
      <div className="overflow-hidden rounded-lg border border-slate-200 bg-white">
        <table className="min-w-full divide-y divide-slate-200 text-sm">
          <thead className="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
            <tr>
              <th className="px-4 py-3">Number</th>
              <th className="px-4 py-3">Client</th>
              <th className="px-4 py-3">Period</th>
              <th className="px-4 py-3">Currency</th>
              <th className="px-4 py-3 text-right">Total</th>
              <th className="px-4 py-3 text-right">Messages</th>
              <th className="px-4 py-3">Issued</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100" data-testid="invoice-list">
            {items.map((i) => (
              <tr key={i.id} className="hover:bg-slate-50">
                <td className="px-4 py-3 font-medium">
                  <Link href={`/invoices/${i.id}`} className="text-indigo-700 hover:underline">
                    #{i.number}
                  </Link>
                </td>
                <td className="px-4 py-3">{i.client.name}</td>
                <td className="px-4 py-3">{formatMonth(i.periodStart)}</td>
                <td className="px-4 py-3">{i.currency}</td>
                <td className="px-4 py-3 text-right tabular-nums">{formatMoney(i.total, i.currency)}</td>
                <td className="px-4 py-3 text-right tabular-nums">{i.messageCount.toLocaleString("en-US")}</td>
                <td className="px-4 py-3 text-slate-500">{formatDateTime(i.createdAt)}</td>
              </tr>
            ))}
            {items.length === 0 && !query.isLoading && (
              <tr>
                <td colSpan={7} className="px-4 py-10 text-center text-slate-500">
                  No invoices yet.
                </td>
              </tr>
            )}
          </tbody>
        </table>
        {query.hasNextPage && (
          <button
            className="w-full border-t border-slate-200 py-2 text-sm text-indigo-700 hover:bg-slate-50"
            onClick={() => query.fetchNextPage()}
          >
            Load more
          </button>
        )}
      </div>
    </div>
  );
}
