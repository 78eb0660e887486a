"use client";

import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Fragment, useState } from "react";
import { useTRPC } from "../../_trpc/react";
import { deadLetterListInput, deadLetterListPaging, type DeadLetterFilter } from "./list-options";

const STATUSES: { value: DeadLetterFilter["status"]; label: string }[] = [
  { value: "pending", label: "Pending" },
  { value: "replayed", label: "Replayed" },
  { value: "all", label: "All" },
];

// UTC and locale-free: the server render and the browser agree on it.
function formatTime(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

const tab = (active: boolean) =>
  `rounded-md px-3 py-1.5 text-sm font-medium ${
    active ? "bg-indigo-600 text-white" : "border border-slate-300 bg-white text-slate-700 hover:bg-slate-50"
  }`;

export function DeadLetterList({ canReplay }: { canReplay: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [filter, setFilter] = useState<DeadLetterFilter>({ status: "pending" });
  const [expanded, setExpanded] = useState<string | null>(null);
  const stats = useQuery(trpc.deadLetters.stats.queryOptions(undefined, { refetchInterval: 10_000 }));
  const list = useInfiniteQuery(
    trpc.deadLetters.list.infiniteQueryOptions(deadLetterListInput(filter), deadLetterListPaging),
  );
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.deadLetters.pathKey() });
  const replay = useMutation(trpc.deadLetters.replay.mutationOptions({ onSettled: refresh }));
  const replayAll = useMutation(trpc.deadLetters.replayAll.mutationOptions({ onSettled: refresh }));

  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  const stages = stats.data?.stages ?? [];
  const selected = stages.find((s) => s.sourceTopic === filter.sourceTopic);
  const error = replay.error ?? replayAll.error;

  return (
    <div className="mt-6 space-y-4">
      <div className="flex flex-wrap items-center gap-2" role="tablist" aria-label="Stage">
        <button
          role="tab"
          aria-selected={!filter.sourceTopic}
          className={tab(!filter.sourceTopic)}
          onClick={() => setFilter({ ...filter, sourceTopic: undefined })}
        >
          All stages <span className="tabular-nums opacity-75">({stats.data?.pending ?? 0})</span>
        </button>
        {stages.map((s) => (
          <button
            key={s.sourceTopic}
            role="tab"
            aria-selected={filter.sourceTopic === s.sourceTopic}
            className={tab(filter.sourceTopic === s.sourceTopic)}
            onClick={() => setFilter({ ...filter, sourceTopic: s.sourceTopic })}
          >
            {s.stage} <span className="tabular-nums opacity-75">({s.pending})</span>
          </button>
        ))}
      </div>

      <div className="flex flex-wrap items-center justify-between gap-3">
        <div className="inline-flex overflow-hidden rounded-md border border-slate-300 bg-white text-sm">
          {STATUSES.map((s) => (
            <button
              key={s.value}
              aria-pressed={filter.status === s.value}
              className={`px-3 py-1.5 font-medium ${
                filter.status === s.value ? "bg-slate-800 text-white" : "text-slate-700 hover:bg-slate-50"
              }`}
              onClick={() => setFilter({ ...filter, status: s.value })}
            >
              {s.label}
            </button>
          ))}
        </div>
        {canReplay && selected && (
          <button
            disabled={replayAll.isPending || selected.pending === 0}
            onClick={() => {
              if (window.confirm(`Replay ${selected.pending} pending dead letters to ${selected.stage}?`))
                replayAll.mutate({ sourceTopic: selected.sourceTopic });
            }}
            className="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500 disabled:opacity-50"
          >
            {replayAll.isPending ? "Replaying…" : `Replay all ${selected.pending} pending`}
          </button>
        )}
      </div>

      {error && (
        <p role="alert" className="text-sm text-red-600">
          {error.message}
        </p>
      )}
      {replayAll.data && (
        <p role="status" className="text-sm text-emerald-700">
          Replayed {replayAll.data.replayed.toLocaleString("en-US")} dead letters.
        </p>
      )}

      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
        <table className="min-w-full divide-y divide-slate-200 text-sm">
          <thead className="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
            <tr>
              <th className="px-4 py-3">Failed</th>
              <th className="px-4 py-3">Stage</th>
              <th className="px-4 py-3">Partition / offset</th>
              <th className="px-4 py-3">Error</th>
              <th className="px-4 py-3">Payload</th>
              <th className="px-4 py-3">Replayed</th>
              {canReplay && <th className="px-4 py-3" />}
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {items.map((d) => (
              <Fragment key={d.id}>
                <tr className="align-top hover:bg-slate-50">
                  <td className="whitespace-nowrap px-4 py-3 text-slate-500">{formatTime(d.failedAt)}</td>
                  <td className="whitespace-nowrap px-4 py-3 font-medium">{d.stage}</td>
                  <td className="whitespace-nowrap px-4 py-3 tabular-nums text-slate-600">
                    {d.sourcePartition ?? "?"} / {d.sourceOffset ?? "?"}
                  </td>
                  <td className="px-4 py-3">
                    <p className="line-clamp-3 min-w-48 max-w-64 break-words text-rose-700" title={d.error}>
                      {d.error}
                    </p>
                  </td>
                  <td className="px-4 py-3">
                    <button
                      className="block max-w-64 truncate text-left font-mono text-xs text-slate-700 hover:text-indigo-700"
                      aria-expanded={expanded === d.id}
                      title={expanded === d.id ? "Hide payload" : "Show payload"}
                      onClick={() => setExpanded(expanded === d.id ? null : d.id)}
                    >
                      {d.valuePreview || <span className="italic text-slate-400">(empty)</span>}
                      {d.isTruncated && "…"}
                    </button>
                  </td>
                  <td className="px-4 py-3 text-slate-500">
                    {d.replayedAt ? (
                      <>
                        <span className="whitespace-nowrap">{formatTime(d.replayedAt)}</span>
                        <span className="block text-xs">
                          {d.replayCount} {d.replayCount === 1 ? "time" : "times"}
                        </span>
                      </>
                    ) : (
                      "—"
                    )}
                  </td>
                  {canReplay && (
                    <td className="px-4 py-3 text-right">
                      <button
                        disabled={replay.isPending && replay.variables?.id === d.id}
                        onClick={() => replay.mutate({ id: d.id })}
                        className="rounded-md border border-slate-300 px-3 py-1 text-sm text-slate-700 hover:bg-slate-50 disabled:opacity-50"
                      >
                        {d.replayedAt ? "Replay again" : "Replay"}
                      </button>
                    </td>
                  )}
                </tr>
                {expanded === d.id && (
                  <tr>
                    <td colSpan={canReplay ? 7 : 6} className="bg-slate-50 px-4 py-3">
                      <DeadLetterDetail id={d.id} />
                    </td>
                  </tr>
                )}
              </Fragment>
            ))}
            {items.length === 0 && !list.isLoading && (
              <tr>
                <td colSpan={canReplay ? 7 : 6} className="px-4 py-10 text-center text-slate-500">
                  No dead letters here.
                </td>
              </tr>
            )}
          </tbody>
        </table>
        {list.hasNextPage && (
          <button
            className="w-full border-t border-slate-200 py-2 text-sm text-indigo-700 hover:bg-slate-50"
            onClick={() => list.fetchNextPage()}
          >
            Load more
          </button>
        )}
      </div>
    </div>
  );
}

function DeadLetterDetail({ id }: { id: string }) {
  const trpc = useTRPC();
  const detail = useQuery(trpc.deadLetters.get.queryOptions({ id }));
  if (detail.isLoading) return <p className="text-slate-500">Loading…</p>;
  if (detail.error) return <p className="text-red-600">{detail.error.message}</p>;
  const d = detail.data!;
  const headers = Object.entries(d.headers);
  return (
    <div className="space-y-3 text-xs">
      <dl className="grid grid-cols-2 gap-x-6 gap-y-1 sm:grid-cols-4">
        <div>
          <dt className="font-semibold uppercase tracking-wide text-slate-500">Key</dt>
          <dd className="font-mono">{d.key ?? "—"}</dd>
        </div>
        <div>
          <dt className="font-semibold uppercase tracking-wide text-slate-500">Consumer group</dt>
          <dd className="font-mono">{d.consumerGroup || "—"}</dd>
        </div>
        <div>
          <dt className="font-semibold uppercase tracking-wide text-slate-500">Dead-letter position</dt>
          <dd className="font-mono">
            {d.dlqTopic} {d.dlqPartition}/{d.dlqOffset}
          </dd>
        </div>
        <div>
          <dt className="font-semibold uppercase tracking-wide text-slate-500">Size</dt>
          <dd className="tabular-nums">{d.valueBytes.toLocaleString("en-US")} bytes</dd>
        </div>
      </dl>
      <pre className="max-h-96 overflow-auto whitespace-pre-wrap break-all rounded-md border border-slate-200 bg-white p-3 font-mono text-slate-700">
        {d.value}
      </pre>
      {headers.length > 0 && (
        <p className="font-mono text-slate-500">
          {headers.map(([name, value]) => `${name}: ${Array.isArray(value) ? value.join(", ") : value}`).join(" · ")}
        </p>
      )}
    </div>
  );
}
