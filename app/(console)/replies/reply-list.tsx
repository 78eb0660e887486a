"use client";

import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { FilterSelect } from "../../_components/filter-select";
import { formatDateTime } from "../../_components/format";
import { input, labelText, primaryButton, smallButton, td, th } from "../../_components/ui";
import { useTRPC } from "../../_trpc/react";

type Keyword = "OPT_OUT" | "OPT_IN" | "HELP";
type Filter = { clientId?: string; msisdn?: string; keyword?: Keyword | "none" };

const KEYWORDS: { value: Keyword | "none"; label: string }[] = [
  { value: "OPT_OUT", label: "STOP (opt-out)" },
  { value: "OPT_IN", label: "START (opt back in)" },
  { value: "HELP", label: "HELP" },
  { value: "none", label: "No keyword" },
];

const BADGE: Record<Keyword, { text: string; className: string }> = {
  OPT_OUT: { text: "STOP", className: "bg-rose-100 text-rose-800" },
  OPT_IN: { text: "START", className: "bg-emerald-100 text-emerald-800" },
  HELP: { text: "HELP", className: "bg-amber-100 text-amber-800" },
};

/**
 * The newest replies at once; a client (from its page's link), a number and a keyword narrow them down. With a campaign
 * (from its page's link), only the replies to that campaign's messages.
 */
export function ReplyList({ initialClientId, campaignId }: { initialClientId?: string; campaignId?: string }) {
  const trpc = useTRPC();
  const clients = useQuery(trpc.clients.list.queryOptions());
  const initial: Filter = initialClientId ? { clientId: initialClientId } : {};
  const [form, setForm] = useState<Filter>(initial);
  const [filter, setFilter] = useState<Filter>(initial);
  const list = useInfiniteQuery({
    ...trpc.inbound.list.infiniteQueryOptions(
      { ...filter, ...(campaignId ? { campaignId } : {}), limit: 50 },
      { getNextPageParam: (last) => last.nextCursor },
    ),
    refetchInterval: 5_000,
  });
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setFilter(Object.fromEntries(Object.entries(form).filter(([, v]) => v)) as Filter);
  };
  const set = (key: keyof Filter) => (e: { target: { value: string } }) =>
    setForm({ ...form, [key]: e.target.value || undefined });

  return (
    <div className="mt-6 space-y-4">
      {campaignId && (
        <p className="text-sm text-slate-600" data-testid="replies-campaign">
          Replies to the messages of{" "}
          <Link href={`/campaigns/${campaignId}`} className="text-indigo-700 hover:underline">
            this campaign
          </Link>{" "}
          ·{" "}
          <Link href="/replies" className="text-indigo-700 hover:underline">
            all replies
          </Link>
        </p>
      )}
      <form onSubmit={submit} className="grid gap-3 rounded-lg border border-slate-200 bg-white p-4 md:grid-cols-4">
        <div>
          <label htmlFor="reply-number" className={labelText}>
            Number
          </label>
          <input
            id="reply-number"
            className={`${input} font-mono`}
            placeholder="+447911123456"
            value={form.msisdn ?? ""}
            onChange={set("msisdn")}
          />
        </div>
        <FilterSelect
          id="reply-client"
          label="Client"
          any="Any"
          value={form.clientId}
          onChange={set("clientId")}
          options={clients.data?.map((c) => ({ value: c.id, label: c.name })) ?? []}
        />
        <FilterSelect
          id="reply-keyword"
          label="Keyword"
          any="Any"
          value={form.keyword}
          onChange={set("keyword")}
          options={KEYWORDS}
        />
        <div className="flex items-end">
          <button type="submit" className={primaryButton}>
            Show
          </button>
        </div>
      </form>

      {list.error && (
        <p role="alert" className="text-sm text-red-600">
          {list.error.message}
        </p>
      )}

      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
        <table className="min-w-full divide-y divide-slate-200 text-sm" data-testid="replies">
          <thead className="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
            <tr>
              <th className={th}>Received</th>
              <th className={th}>From</th>
              <th className={th}>To</th>
              <th className={th}>Text</th>
              <th className={th}>Client</th>
              <th className={th}>Keyword</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {items.map((r) => (
              <tr key={r.id}>
                <td className={`${td} whitespace-nowrap`}>{formatDateTime(r.receivedAt)}</td>
                <td className={`${td} font-mono`}>{r.msisdn}</td>
                <td className={td}>{r.address}</td>
                <td className={`${td} max-w-md whitespace-pre-wrap break-words`}>{r.body}</td>
                <td className={td}>
                  {r.clientId ? (
                    <Link href={`/clients/${r.clientId}`} className="text-indigo-700 hover:underline">
                      {r.clientName ?? r.clientId}
                    </Link>
                  ) : (
                    <span className="text-slate-400">{r.appliedTo.length > 1 ? "shared sender id" : "none"}</span>
                  )}
                </td>
                <td className={td}>
                  {r.keyword && (
                    <span
                      className={`inline-flex rounded-full px-2 py-0.5 text-xs font-semibold ${BADGE[r.keyword].className}`}
                    >
                      {BADGE[r.keyword].text}
                    </span>
                  )}
                  {r.keyword && r.keyword !== "HELP" && (
                    <span className="ml-2 text-xs text-slate-500">
                      {r.appliedTo.length === 0
                        ? "no client matched"
                        : `${r.keyword === "OPT_OUT" ? "opted out of" : "opted back in to"} ${r.appliedTo
                            .map((c) => c.name)
                            .join(", ")}`}
                    </span>
                  )}
                </td>
              </tr>
            ))}
            {list.isSuccess && items.length === 0 && (
              <tr>
                <td colSpan={6} className={`${td} text-slate-500`}>
                  No replies here.
                </td>
              </tr>
            )}
          </tbody>
        </table>
        {list.hasNextPage && (
          <div className="border-t border-slate-100 p-3">
            <button
              type="button"
              className={smallButton}
              disabled={list.isFetchingNextPage}
              onClick={() => void list.fetchNextPage()}
            >
              {list.isFetchingNextPage ? "Loading…" : "Load more"}
            </button>
          </div>
        )}
      </div>
    </div>
  );
}
