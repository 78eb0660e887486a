"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { formatMoney } from "@/server/billing/money";
import { StatusBadge } from "../../_components/status-badge";
import { useTRPC } from "../../_trpc/react";

export function ClientList() {
  const trpc = useTRPC();
  const clients = useQuery(trpc.clients.list.queryOptions());
  return (
    <div className="mt-6 overflow-hidden rounded-lg border border-slate-200 bg-white">
      <table className="min-w-full divide-y divide-slate-200 text-sm">
        <thead className="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
          <tr>
            <th className="px-4 py-3">Client</th>
            <th className="px-4 py-3">Billing</th>
            <th className="px-4 py-3">Status</th>
            <th className="px-4 py-3 text-right">Balance / unbilled</th>
            <th className="px-4 py-3">Rate plan</th>
            <th className="px-4 py-3">Sender IDs</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {clients.data?.map((c) => {
            const account = c.accounts[0];
            return (
              <tr key={c.id} className="hover:bg-slate-50">
                <td className="px-4 py-3 font-medium">
                  <Link href={`/clients/${c.id}`} className="text-indigo-700 hover:underline">
                    {c.name}
                  </Link>
                </td>
                <td className="px-4 py-3">{c.billingType.toLowerCase()}</td>
                <td className="px-4 py-3">
                  <StatusBadge status={c.status} />
                </td>
                <td className="px-4 py-3 text-right tabular-nums">
                  {account
                    ? formatMoney(
                        c.billingType === "PREPAID" ? account.balance : account.unbilledUsage,
                        account.currency,
                      )
                    : "—"}
                  {account?.lowBalanceAlertedAt && (
                    <span
                      className="ml-2 rounded-full bg-rose-100 px-2 py-0.5 text-xs font-semibold text-rose-700"
                      data-testid="low-balance-badge"
                    >
                      Low
                    </span>
                  )}
                </td>
                <td className="px-4 py-3 text-slate-600">{c.ratePlan.name}</td>
                <td className="px-4 py-3 text-slate-600">{c.senderIds.map((s) => s.value).join(", ")}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
