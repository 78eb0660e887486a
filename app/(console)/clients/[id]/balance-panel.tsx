"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { formatMoney, parseMoney } from "@/server/billing/money";
import { formatDateTime } from "../../../_components/format";
import { useTRPC } from "../../../_trpc/react";
import { LowBalanceAlerts } from "./low-balance-alerts";

const input =
  "mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm focus:border-indigo-500 focus:outline-none";

/** Available balance (what the gate lets through), top-ups and corrections, the ledger. */
export function BalancePanel({ accountId, canEdit }: { accountId: string; canEdit: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const balance = useQuery(trpc.billing.balance.queryOptions({ accountId }, { refetchInterval: 5_000 }));
  const ledger = useQuery(trpc.billing.ledger.queryOptions({ accountId, limit: 10 }));
  const [type, setType] = useState<"TOPUP" | "ADJUSTMENT">("TOPUP");
  const [amount, setAmount] = useState("");
  const [reason, setReason] = useState("");
  const [amountError, setAmountError] = useState<string | null>(null);
  const adjust = useMutation(
    trpc.billing.adjust.mutationOptions({
      onSuccess: async () => {
        setAmount("");
        setReason("");
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.billing.pathKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.clients.pathKey() }),
        ]);
      },
    }),
  );
  const b = balance.data;
  const fieldErrors = adjust.error?.data?.zodError?.fieldErrors as Record<string, string[] | undefined> | undefined;

  return (
    <section className="rounded-lg border border-slate-200 bg-white p-6 lg:col-span-3" data-testid="balance-panel">
      <h2 className="font-medium">
        Balance
        {b && b.billingType !== "POSTPAID" && b.isLow && b.lowBalanceThreshold > 0n && (
          <span
            className="ml-2 rounded-full bg-rose-100 px-2 py-0.5 text-xs font-semibold text-rose-700"
            data-testid="low-balance-badge"
          >
            Low balance
          </span>
        )}
      </h2>
      {b && (
        <dl className="mt-3 grid grid-cols-3 gap-4 text-sm">
          <div>
            <dt className="text-xs font-semibold uppercase tracking-wide text-slate-500">
              {b.billingType === "POSTPAID" ? "Credit headroom" : "Available"}
            </dt>
            <dd
              className={`mt-1 text-xl font-semibold tabular-nums ${b.isLow ? "text-rose-600" : ""}`}
              data-testid="available"
            >
              {formatMoney(b.available, b.currency)}
            </dd>
            {b.isLow && b.billingType !== "POSTPAID" && (
              <p className="text-xs text-rose-600">Below the low-balance threshold</p>
            )}
          </div>
          {b.billingType === "POSTPAID" ? (
            // Postpaid: the headroom is what is left of the credit limit after unbilled usage and messages in flight.
            <>
              <div>
                <dt className="text-xs font-semibold uppercase tracking-wide text-slate-500">Unbilled usage</dt>
                <dd className="mt-1 text-xl font-semibold tabular-nums" data-testid="unbilled-usage">
                  {formatMoney(b.unbilledUsage, b.currency)}
                </dd>
              </div>
              <div>
                <dt className="text-xs font-semibold uppercase tracking-wide text-slate-500">Credit limit</dt>
                <dd className="mt-1 text-xl font-semibold tabular-nums" data-testid="credit-limit">
                  {formatMoney(b.creditLimit, b.currency)}
                </dd>
              </div>
            </>
          ) : (
            <>
              <div>
                <dt className="text-xs font-semibold uppercase tracking-wide text-slate-500">Settled</dt>
                <dd className="mt-1 text-xl font-semibold tabular-nums">{formatMoney(b.balance, b.currency)}</dd>
              </div>
              <div>
                <dt className="text-xs font-semibold uppercase tracking-wide text-slate-500">Low-balance threshold</dt>
                <dd className="mt-1 text-xl font-semibold tabular-nums">
                  {formatMoney(b.lowBalanceThreshold, b.currency)}
                </dd>
              </div>
            </>
          )}
        </dl>
      )}
      {b && b.billingType !== "POSTPAID" && (
        <LowBalanceAlerts
          accountId={accountId}
          currency={b.currency}
          threshold={b.lowBalanceThreshold}
          canEdit={canEdit}
        />
      )}
      {canEdit && b && (
        <form
          className="mt-5 grid gap-3 sm:grid-cols-4"
          onSubmit={(e) => {
            e.preventDefault();
            try {
              const minor = parseMoney(amount, b.currency);
              setAmountError(null);
              adjust.mutate({ accountId, type, amount: minor.toString(), reason });
            } catch (err) {
              setAmountError((err as Error).message);
            }
          }}
        >
          <label className="block text-sm font-medium">
            Kind
            <select className={input} value={type} onChange={(e) => setType(e.target.value as typeof type)}>
              <option value="TOPUP">Top-up</option>
              <option value="ADJUSTMENT">Correction (±)</option>
            </select>
          </label>
          <label className="block text-sm font-medium">
            Amount ({b.currency})
            <input
              className={input}
              value={amount}
              onChange={(e) => setAmount(e.target.value)}
              placeholder="50.00"
              required
            />
            {(amountError || fieldErrors?.amount) && (
              <span className="mt-1 block text-xs text-red-600">{amountError ?? fieldErrors?.amount?.join(", ")}</span>
            )}
          </label>
          <label className="block text-sm font-medium sm:col-span-2">
            Reason
            <input className={input} value={reason} onChange={(e) => setReason(e.target.value)} required />
            {fieldErrors?.reason && (
              <span className="mt-1 block text-xs text-red-600">{fieldErrors.reason.join(", ")}</span>
            )}
          </label>
          <div className="sm:col-span-4">
            <button
              type="submit"
              disabled={adjust.isPending}
              className="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500 disabled:opacity-50"
            >
              {adjust.isPending ? "Saving…" : type === "TOPUP" ? "Top up" : "Apply correction"}
            </button>
            {adjust.error && !fieldErrors && <span className="ml-3 text-sm text-red-600">{adjust.error.message}</span>}
          </div>
        </form>
      )}
      <table className="mt-6 min-w-full divide-y divide-slate-200 text-sm">
        <thead className="text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
          <tr>
            <th className="py-2">When</th>
            <th className="py-2">Kind</th>
            <th className="py-2 text-right">Amount</th>
            <th className="py-2 pl-4">Reason / reference</th>
            <th className="py-2">By</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100" data-testid="ledger">
          {ledger.data?.items.map((e) => (
            <tr key={e.id.toString()}>
              <td className="py-2 text-slate-500">{formatDateTime(e.createdAt)}</td>
              <td className="py-2">{e.type.toLowerCase()}</td>
              <td className={`py-2 text-right tabular-nums ${e.amount < 0n ? "text-rose-700" : "text-emerald-700"}`}>
                {formatMoney(e.amount, b?.currency ?? "USD")}
              </td>
              <td className="py-2 pl-4 text-slate-600">{e.reason ?? e.reference}</td>
              <td className="py-2 text-slate-600">{e.operator?.name ?? "system"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
