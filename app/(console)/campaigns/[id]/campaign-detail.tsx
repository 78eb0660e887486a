"use client";

import { formatDateTime } from "@/app/_components/format";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import Link from "next/link";
import type { RowError } from "@/server/uploads/service";
import { StatusBadge } from "../../../_components/status-badge";
import { useTRPC } from "../../../_trpc/react";
import { QuotePanel } from "./quote-panel";

const STATUS_ORDER = [
  "QUEUED",
  "ACCEPTED",
  "SUBMITTED",
  "DELIVERED",
  "DEFERRED",
  "REJECTED",
  "UNDELIVERABLE",
  "EXPIRED",
  "FAILED",
  "CANCELLED",
] as const;

/** Statuses in which counts or state still change without anyone clicking. */
const LIVE_STATUSES = new Set(["RUNNING", "PAUSED", "SCHEDULED"]);

function isLive(c: { status: string; holdPlacedAt: Date | null; holdReleasedAt: Date | null } | undefined) {
  if (!c) return false;
  return LIVE_STATUSES.has(c.status) || (c.holdPlacedAt !== null && c.holdReleasedAt === null && c.status !== "DRAFT");
}

const primaryButton =
  "rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500 disabled:opacity-50";
const secondaryButton =
  "rounded-md border border-slate-300 bg-white px-4 py-2 text-sm font-semibold text-slate-700 hover:bg-slate-50 disabled:opacity-50";
const dangerButton =
  "rounded-md border border-rose-300 bg-white px-4 py-2 text-sm font-semibold text-rose-700 hover:bg-rose-50 disabled:opacity-50";

export function CampaignDetail({ id }: { id: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const campaign = useQuery(
    trpc.campaigns.get.queryOptions(
      { id },
      // Live counts while messages are moving or waiting; no polling once settled.
      // (and until an ended campaign's hold has gone back to the balance).
      { refetchInterval: (q) => (isLive(q.state.data) ? 1000 : false), staleTime: 0 },
    ),
  );
  const refresh = {
    onSettled: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: trpc.campaigns.get.queryKey({ id }) }),
        queryClient.invalidateQueries({ queryKey: trpc.campaigns.list.pathKey() }),
      ]),
  };
  const launch = useMutation(trpc.campaigns.launch.mutationOptions(refresh));
  const pause = useMutation(trpc.campaigns.pause.mutationOptions(refresh));
  const resume = useMutation(trpc.campaigns.resume.mutationOptions(refresh));
  const cancel = useMutation(trpc.campaigns.cancel.mutationOptions(refresh));
  const [hold, setHold] = useState(true);
  if (campaign.isLoading) return <p className="text-slate-500">Loading…</p>;
  if (campaign.error) return <p className="text-red-600">{campaign.error.message}</p>;
  const c = campaign.data!;
  const percent = c.recipientCount > 0 ? Math.min(100, Math.round((c.processed / c.recipientCount) * 100)) : 0;
  const isBusy = launch.isPending || pause.isPending || resume.isPending || cancel.isPending;
  const actionError = launch.error ?? pause.error ?? resume.error ?? cancel.error;
  const rowErrors = asRowErrors(c.upload.rowErrors);

  return (
    <div className="space-y-6">
      <div className="flex items-start justify-between">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">{c.name}</h1>
          <p className="mt-1 text-sm text-slate-500">
            {c.client.name} · {c.category.toLowerCase().replace("_", " ")} · from {c.senderId}
          </p>
          {c.status === "SCHEDULED" && c.scheduledAt && (
            <p className="mt-1 text-sm text-sky-800" data-testid="campaign-scheduled">
              Starts {formatDateTime(c.scheduledAt)}
            </p>
          )}
        </div>
        <div className="flex items-center gap-3">
          <span data-testid="campaign-status">
            <StatusBadge status={c.status} />
          </span>
          {/* The service launches drafts only; a scheduled campaign starts on its own. */}
          {c.status === "DRAFT" && c.client.billingType === "PREPAID" && (
            <label className="flex items-center gap-1.5 text-sm text-slate-700">
              <input type="checkbox" checked={hold} onChange={(e) => setHold(e.target.checked)} />
              Hold the quote
            </label>
          )}
          {c.status === "DRAFT" && (
            <button
              onClick={() => launch.mutate({ id, hold: c.client.billingType === "PREPAID" && hold })}
              disabled={isBusy}
              className={primaryButton}
            >
              {launch.isPending ? "Launching…" : "Launch"}
            </button>
          )}
          {c.status === "RUNNING" && (
            <button onClick={() => pause.mutate({ id })} disabled={isBusy} className={secondaryButton}>
              {pause.isPending ? "Pausing…" : "Pause"}
            </button>
          )}
          {c.status === "PAUSED" && (
            <button onClick={() => resume.mutate({ id })} disabled={isBusy} className={primaryButton}>
              {resume.isPending ? "Resuming…" : "Resume"}
            </button>
          )}
          {LIVE_STATUSES.has(c.status) || c.status === "DRAFT" ? (
            <button
              onClick={() => {
                if (window.confirm(`Cancel "${c.name}"? Messages not sent yet will not be sent.`))
                  cancel.mutate({ id });
              }}
              disabled={isBusy}
              className={dangerButton}
            >
              {cancel.isPending ? "Cancelling…" : "Cancel"}
            </button>
          ) : null}
        </div>
      </div>
      {actionError && (
        <p role="alert" className="text-sm text-red-600">
          {actionError.message}
        </p>
      )}

      <section className="rounded-lg border border-slate-200 bg-white p-6">
        <div className="flex items-baseline justify-between text-sm">
          <span className="font-medium">Progress</span>
          <span className="tabular-nums text-slate-600" data-testid="campaign-progress">
            {c.processed.toLocaleString("en-US")} / {c.recipientCount.toLocaleString("en-US")} processed
          </span>
        </div>
        <div className="mt-2 h-2 overflow-hidden rounded-full bg-slate-100">
          <div className="h-full bg-indigo-500 transition-all" style={{ width: `${percent}%` }} />
        </div>
        <dl className="mt-6 grid grid-cols-2 gap-4 sm:grid-cols-5">
          {STATUS_ORDER.map((status) => (
            <div key={status} className="rounded-md border border-slate-100 p-3">
              <dt className="text-xs font-semibold uppercase tracking-wide text-slate-500">{status.toLowerCase()}</dt>
              <dd className="mt-1 text-2xl font-semibold tabular-nums" data-testid={`count-${status}`}>
                {(c.counts[status] ?? 0).toLocaleString("en-US")}
              </dd>
            </div>
          ))}
        </dl>
        <CampaignReplies id={id} delivered={c.counts.DELIVERED ?? 0} />
      </section>

      <section className="grid gap-6 sm:grid-cols-2">
        <div className="rounded-lg border border-slate-200 bg-white p-6 text-sm" data-testid="campaign-recipients">
          <h2 className="font-medium">Recipients</h2>
          <dl className="mt-2 space-y-1 text-slate-700">
            <div>
              <dt className="inline text-slate-500">File: </dt>
              <dd className="inline">{c.upload.fileName}</dd>
            </div>
            <div>
              <dt className="inline text-slate-500">Rows: </dt>
              <dd className="inline tabular-nums">
                {c.upload.rowCount.toLocaleString("en-US")} ({c.upload.invalidRowCount.toLocaleString("en-US")} invalid,
                skipped)
              </dd>
            </div>
          </dl>
          {rowErrors.length > 0 && (
            <ul className="mt-2 list-inside list-disc text-xs text-amber-800">
              {rowErrors.map((e) => (
                <li key={e.row}>
                  row {e.row} (line {e.line}): {e.error}
                </li>
              ))}
              {c.upload.invalidRowCount > rowErrors.length && (
                <li className="list-none text-slate-500">
                  …and {(c.upload.invalidRowCount - rowErrors.length).toLocaleString("en-US")} more
                </li>
              )}
            </ul>
          )}
        </div>
        <div className="rounded-lg border border-slate-200 bg-white p-6 text-sm">
          <h2 className="font-medium">Sending</h2>
          <dl className="mt-2 space-y-1 text-slate-700">
            <div>
              <dt className="inline text-slate-500">Rate limit: </dt>
              <dd className="inline" data-testid="campaign-rate-limit">
                {c.rateLimitPerSecond ? `${c.rateLimitPerSecond.toLocaleString("en-US")} messages per second` : "none"}
              </dd>
            </div>
            <div>
              <dt className="inline text-slate-500">Start: </dt>
              <dd className="inline">{c.scheduledAt ? formatDateTime(c.scheduledAt) : "when launched"}</dd>
            </div>
            {c.category === "MARKETING" && (
              <div>
                <dt className="inline text-slate-500">Marketing in quiet hours: </dt>
                <dd className="inline">{c.allowDefer ? "held until they end" : "rejected"}</dd>
              </div>
            )}
          </dl>
        </div>
      </section>

      <QuotePanel
        id={id}
        currency={c.quoteCurrency}
        hold={{
          amount: c.holdAmount,
          left: c.holdLeft,
          placed: c.holdPlacedAt !== null,
          released: c.holdReleasedAt !== null,
        }}
        progress={{ started: c.startedAt !== null, live: isLive(c), completedAt: c.completedAt }}
      />

      <section className="rounded-lg border border-slate-200 bg-white p-6 text-sm">
        <h2 className="font-medium">Message</h2>
        <p className="mt-2 whitespace-pre-wrap rounded-md bg-slate-50 p-3 font-mono text-slate-700">{c.template}</p>
      </section>
    </div>
  );
}

/** rowErrors is a JSON column: keep only well-formed entries. */
function asRowErrors(value: unknown): RowError[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (e): e is RowError =>
      typeof e === "object" && e !== null && typeof e.row === "number" && typeof e.error === "string",
  );
}

/** How recipients answered: replies, and the STOPs among them as a share of what was delivered. */
function CampaignReplies({ id, delivered }: { id: string; delivered: number }) {
  const trpc = useTRPC();
  const counts = useQuery({ ...trpc.inbound.campaignCounts.queryOptions({ campaignId: id }), refetchInterval: 5_000 });
  if (!counts.data) return null;
  const { replies, optOuts } = counts.data;
  const rate = delivered > 0 ? ` (${((optOuts / delivered) * 100).toFixed(2)}% of delivered)` : "";
  return (
    <p className="mt-4 text-sm text-slate-600" data-testid="campaign-replies">
      <Link href={`/replies?campaignId=${id}`} className="text-indigo-700 hover:underline">
        {replies.toLocaleString("en-US")} {replies === 1 ? "reply" : "replies"}
      </Link>
      , {optOuts.toLocaleString("en-US")} opted out{rate}
    </p>
  );
}
