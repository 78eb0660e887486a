"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { formatMoney } from "@/server/billing/money";
import { useTRPC } from "../../../_trpc/react";

const secondaryButton =
  "rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-semibold text-slate-700 hover:bg-slate-50 disabled:opacity-50";

type Hold = { amount: bigint | null; left: bigint | null; placed: boolean; released: boolean };

/** Where the campaign is: started sending, still sending (or holding), when it completed. */
type Progress = { started: boolean; live: boolean; completedAt: Date | null };

// Refunds of a campaign's last failures reach billing shortly after it completes.
const SETTLING_MS = 60_000;

/**
 * The campaign's cost: a quote on demand (it reads every recipient row, so
 * it is not fetched on page load), whether the balance covers it, the hold
 * placed at launch with what is left of it, and what it has cost so far.
 */
export function QuotePanel({
  id,
  currency,
  hold,
  progress,
}: {
  id: string;
  currency: string | null;
  hold: Hold;
  progress: Progress;
}) {
  const trpc = useTRPC();
  const [asked, setAsked] = useState(false);
  const quote = useQuery(trpc.campaigns.quote.queryOptions({ id }, { enabled: asked, staleTime: 60_000 }));
  const q = quote.data;
  // Charges and refunds reach billing a little after the statuses they follow: polled while they can still move.
  const moving = () =>
    progress.live || (progress.completedAt !== null && Date.now() - progress.completedAt.getTime() < SETTLING_MS);
  const spend = useQuery(
    trpc.campaigns.spend.queryOptions(
      { id },
      { enabled: progress.started, refetchInterval: () => (moving() ? 3_000 : false), staleTime: 0 },
    ),
  );
  const s = spend.data;
  const money = (amount: bigint) => formatMoney(amount, s?.currency ?? q?.currency ?? currency ?? "USD");

  return (
    <section className="rounded-lg border border-slate-200 bg-white p-6 text-sm" data-testid="campaign-quote">
      <div className="flex items-center justify-between">
        <h2 className="font-medium">Cost</h2>
        <button className={secondaryButton} onClick={() => (asked ? quote.refetch() : setAsked(true))}>
          {quote.isFetching ? "Quoting…" : q ? "Quote again" : "Get quote"}
        </button>
      </div>
      {s && (
        <p className="mt-2 text-slate-700" data-testid="campaign-spend">
          {progress.live ? "Spent so far" : "Spent"}: <span className="font-semibold tabular-nums">{money(s.net)}</span>
          <span className="text-slate-500">
            {" "}
            ({s.charged.messages.toLocaleString("en-US")} {s.charged.messages === 1 ? "message" : "messages"} charged{" "}
            <span className="tabular-nums">{money(s.charged.amount)}</span>
            {s.refunded.messages > 0 && (
              <>
                , {s.refunded.messages.toLocaleString("en-US")} refunded{" "}
                <span className="tabular-nums">{money(s.refunded.amount)}</span>
              </>
            )}
            {s.billingType === "POSTPAID" && ", on the next invoice"})
          </span>
        </p>
      )}
      {hold.placed && hold.amount !== null && (
        <p className="mt-2 text-slate-700" data-testid="campaign-hold">
          Held at launch: <span className="font-semibold tabular-nums">{money(hold.amount)}</span>
          {hold.released
            ? " (released)"
            : hold.left !== null && (
                <>
                  {" "}
                  · left: <span className="tabular-nums">{money(hold.left)}</span>
                </>
              )}
        </p>
      )}
      {quote.error && (
        <p role="alert" className="mt-2 text-red-600">
          {quote.error.message}
        </p>
      )}
      {q && (
        <>
          <table className="mt-4 w-full text-left">
            <thead className="text-xs uppercase tracking-wide text-slate-500">
              <tr>
                <th className="py-1">Destination</th>
                <th className="py-1 text-right">Recipients</th>
                <th className="py-1 text-right">Segments</th>
                <th className="py-1 text-right">Amount</th>
              </tr>
            </thead>
            <tbody className="tabular-nums">
              {q.lines.map((line) => (
                <tr key={line.destination} className="border-t border-slate-100">
                  <td className="py-1">{line.destination === "ZZ" ? "Other" : line.destination}</td>
                  <td className="py-1 text-right">{line.recipients.toLocaleString("en-US")}</td>
                  <td className="py-1 text-right">{line.segments.toLocaleString("en-US")}</td>
                  <td className="py-1 text-right">{money(line.amount)}</td>
                </tr>
              ))}
              <tr className="border-t border-slate-300 font-semibold">
                <td className="py-1">Total</td>
                <td className="py-1 text-right">{q.recipients.toLocaleString("en-US")}</td>
                <td className="py-1 text-right">{q.segments.toLocaleString("en-US")}</td>
                <td className="py-1 text-right" data-testid="quote-total">
                  {money(q.total)}
                </td>
              </tr>
            </tbody>
          </table>
          {q.unsendable > 0 && (
            <p className="mt-2 text-xs text-amber-800">
              {q.unsendable.toLocaleString("en-US")} {q.unsendable === 1 ? "row" : "rows"} will not be sent (invalid
              number, missing variable or too long) and {q.unsendable === 1 ? "is" : "are"} not priced.
            </p>
          )}
          <p className="mt-3" data-testid="quote-coverage">
            {q.billingType === "PREPAID" ? "Available balance" : "Credit headroom"}:{" "}
            <span className="tabular-nums">{money(q.available)}</span> —{" "}
            {q.covers ? (
              <span className="font-medium text-emerald-700">covers this campaign</span>
            ) : (
              <span className="font-medium text-rose-700">does not cover this campaign</span>
            )}
          </p>
        </>
      )}
    </section>
  );
}
