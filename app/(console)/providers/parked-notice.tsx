"use client";

import { useQuery } from "@tanstack/react-query";
import { formatDateTime } from "../../_components/format";
import { useTRPC } from "../../_trpc/react";

const REFRESH_MS = 2_000;

/** Messages waiting in parked_sends for a provider on their route to come back; nothing when there are none. */
export function ParkedNotice() {
  const trpc = useTRPC();
  const parked = useQuery(trpc.providers.parked.queryOptions(undefined, { refetchInterval: REFRESH_MS }));
  const summary = parked.data;
  if (!summary || summary.total === 0) return null;
  return (
    <div
      className="mt-4 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900"
      data-testid="parked"
    >
      <p className="font-medium">
        {summary.total.toLocaleString("en-US")} message{summary.total === 1 ? "" : "s"} parked: no provider on their
        route can take them now
        {summary.oldestParkedAt ? ` (oldest since ${formatDateTime(new Date(summary.oldestParkedAt))})` : ""}. They go
        out as soon as one is bound again.
      </p>
      <ul className="mt-1 text-xs">
        {summary.byReason.map((r) => (
          <li key={r.reason}>
            {r.reason}: {r.count.toLocaleString("en-US")}
          </li>
        ))}
      </ul>
    </div>
  );
}
