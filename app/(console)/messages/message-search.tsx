"use client";

import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState, type FormEvent, type ReactNode } from "react";
import { formatMoney } from "@/server/billing/money";
import { formatDateTime } from "../../_components/format";
import { StatusBadge } from "../../_components/status-badge";
import { input, labelText, primaryButton, smallButton, td, th } from "../../_components/ui";
import { FilterSelect } from "../../_components/filter-select";
import { useTRPC } from "../../_trpc/react";

const STATUSES = ["QUEUED", "DEFERRED", "ACCEPTED", "SUBMITTED", "DELIVERED", "UNDELIVERABLE", "EXPIRED", "REJECTED"];

type Filter = {
  messageId?: string;
  recipient?: string;
  clientId?: string;
  status?: (typeof STATUSES)[number];
  source?: "api" | "campaign";
};

/** With a client (from its page's link) the client's newest messages are listed at once. */
export function MessageSearch({ initialClientId }: { initialClientId?: string }) {
  const trpc = useTRPC();
  const clients = useQuery(trpc.clients.list.queryOptions());
  const initial = initialClientId ? { clientId: initialClientId } : null;
  const [form, setForm] = useState<Filter>(initial ?? {});
  const [filter, setFilter] = useState<Filter | null>(initial);
  const [openId, setOpenId] = useState<string | null>(null);
  const search = useInfiniteQuery({
    ...trpc.messages.search.infiniteQueryOptions(
      { ...(filter ?? {}), limit: 50 } as Parameters<typeof trpc.messages.search.infiniteQueryOptions>[0],
      { getNextPageParam: (last) => last.nextCursor },
    ),
    enabled: filter !== null,
  });
  const items = search.data?.pages.flatMap((p) => p.items) ?? [];
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const clean = Object.fromEntries(Object.entries(form).filter(([, v]) => v)) as Filter;
    setOpenId(clean.messageId ?? null);
    // The same search again is a refresh (statuses move on), not a cached answer.
    if (JSON.stringify(clean) === JSON.stringify(filter)) void search.refetch();
    else setFilter(clean);
  };
  const set = (key: keyof Filter) => (e: { target: { value: string } }) =>
    setForm({ ...form, [key]: e.target.value || undefined });

  return (
    <div className="mt-6 space-y-4">
      <form onSubmit={submit} className="grid gap-3 rounded-lg border border-slate-200 bg-white p-4 md:grid-cols-6">
        <div className="md:col-span-2">
          <label htmlFor="message-id" className={labelText}>
            Message id
          </label>
          <input
            id="message-id"
            className={`${input} font-mono`}
            value={form.messageId ?? ""}
            onChange={set("messageId")}
          />
        </div>
        <div>
          <label htmlFor="message-recipient" className={labelText}>
            Recipient
          </label>
          <input
            id="message-recipient"
            className={input}
            placeholder="+447911123456"
            value={form.recipient ?? ""}
            onChange={set("recipient")}
          />
        </div>
        <FilterSelect
          id="message-client"
          label="Client"
          any="Any"
          value={form.clientId}
          onChange={set("clientId")}
          options={clients.data?.map((c) => ({ value: c.id, label: c.name })) ?? []}
        />
        <FilterSelect
          id="message-status"
          label="Status"
          any="Any"
          value={form.status}
          onChange={set("status")}
          options={STATUSES.map((s) => ({ value: s, label: s.toLowerCase() }))}
        />
        <FilterSelect
          id="message-sent-through"
          label="Sent through"
          any="Anything"
          value={form.source}
          onChange={set("source")}
          options={[
            { value: "api", label: "Client API" },
            { value: "campaign", label: "Campaigns" },
          ]}
        />
        <div className="md:col-span-6">
          <button type="submit" className={primaryButton}>
            Search
          </button>
        </div>
      </form>

      {search.error && (
        <p role="alert" className="text-sm text-red-600">
          {search.error.message.includes("pick a client")
            ? "Search by message id, by recipient, or pick a client."
            : search.error.message}
        </p>
      )}

      {filter && (
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
          <table className="min-w-full divide-y divide-slate-200 text-sm" data-testid="messages">
            <thead className="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
              <tr>
                <th className={th}>Created</th>
                <th className={th}>Recipient</th>
                <th className={th}>Client</th>
                <th className={th}>Sender</th>
                <th className={th}>Status</th>
                <th className={th}>Segments</th>
                <th className={th} />
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {items.map((m) => (
                <tr key={m.id} className={openId === m.id ? "bg-indigo-50" : ""}>
                  <td className={`${td} whitespace-nowrap`}>{formatDateTime(m.createdAt)}</td>
                  <td className={`${td} font-mono`}>{m.recipient}</td>
                  <td className={td}>{m.clientName}</td>
                  <td className={td}>{m.sender}</td>
                  <td className={td}>
                    <StatusBadge status={m.status} />
                    {m.reason && <span className="ml-2 text-xs text-slate-500">{m.reason}</span>}
                  </td>
                  <td className={`${td} tabular-nums`}>{m.segments}</td>
                  <td className={`${td} text-right`}>
                    <button type="button" className={smallButton} onClick={() => setOpenId(m.id)}>
                      Details
                    </button>
                  </td>
                </tr>
              ))}
              {search.isSuccess && items.length === 0 && (
                <tr>
                  <td colSpan={7} className={`${td} text-slate-500`}>
                    No messages match.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
          {search.hasNextPage && (
            <div className="border-t border-slate-100 p-3">
              <button
                type="button"
                className={smallButton}
                disabled={search.isFetchingNextPage}
                onClick={() => void search.fetchNextPage()}
              >
                {search.isFetchingNextPage ? "Loading…" : "Load more"}
              </button>
            </div>
          )}
        </div>
      )}

      {openId && <MessageDetail id={openId} />}
    </div>
  );
}

function MessageDetail({ id }: { id: string }) {
  const trpc = useTRPC();
  const detail = useQuery({ ...trpc.messages.get.queryOptions({ id }), refetchInterval: 5_000 });
  if (detail.error) {
    return (
      <p role="alert" className="text-sm text-red-600">
        {detail.error.message}
      </p>
    );
  }
  const d = detail.data;
  if (!d) return null;
  const m = d.message;
  return (
    <section className="rounded-lg border border-slate-200 bg-white p-6" data-testid="message-detail">
      <h2 className="flex items-center gap-3 font-medium">
        <span className="font-mono text-sm">{m.id}</span> <StatusBadge status={m.status} />
        {m.statusReason && <span className="text-xs text-slate-500">{m.statusReason}</span>}
      </h2>
      <dl className="mt-4 grid gap-x-6 gap-y-3 text-sm md:grid-cols-3">
        <Item label="Client">
          {d.client ? <Link href={`/clients/${d.client.id}`}>{d.client.name}</Link> : m.clientId}
        </Item>
        <Item label="Sent through">
          {d.campaign ? (
            <Link href={`/campaigns/${d.campaign.id}`}>Campaign {d.campaign.name}</Link>
          ) : (
            `Client API (${m.category.toLowerCase().replace("_", " ")})`
          )}
        </Item>
        <Item label="From → to">
          {m.sender} → <span className="font-mono">{m.recipient}</span>
        </Item>
        <Item label="Created">{formatDateTime(m.createdAt)}</Item>
        <Item label="Submitted">{m.submittedAt ? formatDateTime(m.submittedAt) : "—"}</Item>
        <Item label="Final">{m.finalAt ? formatDateTime(m.finalAt) : "—"}</Item>
        <Item label="Encoding">
          {m.encoding ?? "—"}, {m.segments} {m.segments === 1 ? "segment" : "segments"}
        </Item>
        <Item label="Carrier">
          {d.submission ? (
            <>
              {d.submission.provider?.name ?? "—"} · {d.submission.state.toLowerCase()} after {d.submission.attempts}{" "}
              {d.submission.attempts === 1 ? "attempt" : "attempts"}
              {d.submission.lastError && <span className="block text-xs text-rose-700">{d.submission.lastError}</span>}
              {d.providerMessageIds.length > 0 && (
                <span className="block font-mono text-xs text-slate-500">{d.providerMessageIds.join(", ")}</span>
              )}
            </>
          ) : (
            "not submitted"
          )}
        </Item>
        <Item label="Charges">
          {d.charges.length === 0
            ? "none"
            : d.charges.map((c) => (
                <span key={`${c.kind}${c.at.toISOString()}`} className="block">
                  {c.kind.toLowerCase()} {c.currency ? formatMoney(c.amount, c.currency) : `${c.amount} (minor units)`}
                </span>
              ))}
        </Item>
        {d.webhook && (
          <Item label="Webhook">
            {d.webhook.state.toLowerCase()} after {d.webhook.attempts}{" "}
            {d.webhook.attempts === 1 ? "attempt" : "attempts"}
            {d.webhook.lastError && <span className="block text-xs text-rose-700">{d.webhook.lastError}</span>}
          </Item>
        )}
      </dl>
      <p className="mt-4 whitespace-pre-wrap rounded bg-slate-50 p-3 font-mono text-xs" data-testid="message-body">
        {m.body}
      </p>
    </section>
  );
}

function Item({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <dt className="text-xs font-semibold uppercase tracking-wide text-slate-500">{label}</dt>
      <dd className="mt-1">{children}</dd>
    </div>
  );
}
