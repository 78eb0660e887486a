"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { StatusBadge } from "../../../_components/status-badge";
import { useTRPC } from "../../../_trpc/react";

const STATUS_ORDER = [
  "QUEUED",
  "ACCEPTED",
  "SUBMITTED",
  "DELIVERED",
  "REJECTED",
  "UNDELIVERABLE",
  "EXPIRED",
  "FAILED",
] as const;

export function CampaignDetail({ id }: { id: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const campaign = useQuery(
    trpc.campaigns.get.queryOptions(
      { id },
      // Live counts while messages are moving; no polling once settled.
      { refetchInterval: (q) => (q.state.data?.status === "RUNNING" ? 1000 : false), staleTime: 0 },
    ),
  );
  const launch = useMutation(
    trpc.campaigns.launch.mutationOptions({
      onSettled: () =>
        Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.campaigns.get.queryKey({ id }) }),
          queryClient.invalidateQueries({ queryKey: trpc.campaigns.list.pathKey() }),
        ]),
    }),
  );
  if (campaign.isLoading) return <p className="text-slate-500">Loading…</p>;
  if (campaign.error) return <p className="text-red-600">{campaign.error.message}</p>;
  const c = campaign.data!;
  const percent = c.recipientCount > 0 ? Math.min(100, Math.round((c.processed / c.recipientCount) * 100)) : 0;

  return (
    <div className="space-y-6">
      <div className="flex items-start justify-between">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">{c.name}</h1>
          <p className="mt-1 text-sm text-slate-500">
            {c.client.name} · {c.category.toLowerCase().replace("_", " ")} · from {c.senderId}
          </p>
        </div>
        <div className="flex items-center gap-3">
          <span data-testid="campaign-status">
            <StatusBadge status={c.status} />
          </span>
          {(c.status === "DRAFT" || c.status === "SCHEDULED") && (
            <button
              onClick={() => launch.mutate({ id })}
              disabled={launch.isPending}
              className="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500 disabled:opacity-50"
            >
              {launch.isPending ? "Launching…" : "Launch"}
            </button>
          )}
        </div>
      </div>
      {launch.error && (
        <p role="alert" className="text-sm text-red-600">
          {launch.error.message}
        </p>
      )}

      <section className="rounded-lg border border-slate-200 bg-white p-6">
        <div className="flex items-baseline justify-between text-sm">
          <span className="font-medium">Progress</span>
          <span className="tabular-nums text-slate-600" data-testid="campaign-progress">
            {c.processed.toLocaleString()} / {c.recipientCount.toLocaleString()} processed
          </span>
        </div>
        <div className="mt-2 h-2 overflow-hidden rounded-full bg-slate-100">
          <div className="h-full bg-indigo-500 transition-all" style={{ width: `${percent}%` }} />
        </div>
        <dl className="mt-6 grid grid-cols-2 gap-4 sm:grid-cols-4">
          {STATUS_ORDER.map((status) => (
            <div key={status} className="rounded-md border border-slate-100 p-3">
              <dt className="text-xs font-semibold uppercase tracking-wide text-slate-500">{status.toLowerCase()}</dt>
              <dd className="mt-1 text-2xl font-semibold tabular-nums" data-testid={`count-${status}`}>
                {(c.counts[status] ?? 0).toLocaleString()}
              </dd>
            </div>
          ))}
        </dl>
      </section>

      <section className="rounded-lg border border-slate-200 bg-white p-6 text-sm">
        <h2 className="font-medium">Message</h2>
        <p className="mt-2 whitespace-pre-wrap rounded-md bg-slate-50 p-3 font-mono text-slate-700">{c.template}</p>
      </section>
    </div>
  );
}
