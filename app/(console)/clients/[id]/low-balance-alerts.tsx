"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { formatMoney, parseMoney } from "@/server/billing/money";
import { formatDateTime } from "../../../_components/format";
import { useTRPC } from "../../../_trpc/react";

const input =
  "mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm focus:border-indigo-500 focus:outline-none";

/** The low-balance threshold (editable by operators) and the last alerts it raised. */
export function LowBalanceAlerts({
  accountId,
  currency,
  threshold,
  canEdit,
}: {
  accountId: string;
  currency: string;
  threshold: bigint;
  canEdit: boolean;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const events = useQuery(trpc.billing.events.queryOptions({ accountId, limit: 5 }, { refetchInterval: 10_000 }));
  const [value, setValue] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const save = useMutation(
    trpc.billing.setLowBalanceThreshold.mutationOptions({
      onSuccess: async () => {
        setValue(null);
        await queryClient.invalidateQueries({ queryKey: trpc.billing.pathKey() });
      },
    }),
  );
  const shown =
    value ??
    formatMoney(threshold, currency)
      .replace(/ [A-Z]{3}$/, "")
      .replace(/,/g, "");

  return (
    <div className="mt-5 grid gap-4 sm:grid-cols-2" data-testid="low-balance">
      {canEdit ? (
        <form
          className="flex items-end gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            try {
              const minor = parseMoney(shown, currency);
              if (minor < 0n) throw new Error("The threshold cannot be negative");
              setError(null);
              save.mutate({ accountId, threshold: minor.toString() });
            } catch (err) {
              setError((err as Error).message);
            }
          }}
        >
          <label className="block flex-1 text-sm font-medium">
            Alert when the balance falls to ({currency}; 0 = off)
            <input
              className={input}
              value={shown}
              onChange={(e) => setValue(e.target.value)}
              data-testid="low-balance-threshold"
            />
            {(error || save.error) && (
              <span className="mt-1 block text-xs text-red-600">{error ?? save.error?.message}</span>
            )}
          </label>
          <button
            type="submit"
            disabled={save.isPending || value === null}
            className="rounded-md border border-slate-300 px-3 py-2 text-sm font-medium hover:bg-slate-50 disabled:opacity-50"
          >
            {save.isPending ? "Saving…" : "Set threshold"}
          </button>
        </form>
      ) : (
        <div />
      )}
      <div>
        <h3 className="text-xs font-semibold uppercase tracking-wide text-slate-500">Recent low-balance alerts</h3>
        {events.data && events.data.items.length === 0 && <p className="mt-1 text-sm text-slate-500">None yet.</p>}
        <ul className="mt-1 space-y-1 text-sm" data-testid="low-balance-alerts">
          {events.data?.items.map((e) => (
            <li key={e.id} className="flex justify-between gap-3">
              <span className="text-slate-500">{formatDateTime(e.createdAt)}</span>
              <span className="tabular-nums">
                {e.balance !== null && e.threshold !== null && e.currency
                  ? `${formatMoney(e.balance, e.currency)} ≤ ${formatMoney(e.threshold, e.currency)}`
                  : e.type}
              </span>
              <span className="text-xs text-slate-400">{e.publishedAt ? "sent" : "pending"}</span>
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}
