"use client";

import { useInfiniteQuery } from "@tanstack/react-query";
import Link from "next/link";
import { formatDateTime } from "../../_components/format";
import { StatusBadge } from "../../_components/status-badge";
import { useTRPC } from "../../_trpc/react";
import { CAMPAIGN_LIST_INPUT, campaignListPaging } from "./list-options";

export function CampaignList() {
  const trpc = useTRPC();
  const query = useInfiniteQuery(trpc.campaigns.list.infiniteQueryOptions(CAMPAIGN_LIST_INPUT, campaignListPaging));
  const items = query.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <div className="mt-6 overflow-hidden rounded-lg border border-slate-200 bg-white">
      <table className="min-w-full divide-y divide-slate-200 text-sm">
        <thead className="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
          <tr>
            <th className="px-4 py-3">Name</th>
            <th className="px-4 py-3">Client</th>
            <th className="px-4 py-3">Category</th>
            <th className="px-4 py-3 text-right">Recipients</th>
            <th className="px-4 py-3">Status</th>
            <th className="px-4 py-3">Created</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {items.map((c) => (
            <tr key={c.id} className="hover:bg-slate-50">
              <td className="px-4 py-3 font-medium">
                <Link href={`/campaigns/${c.id}`} className="text-indigo-700 hover:underline">
                  {c.name}
                </Link>
              </td>
              <td className="px-4 py-3">{c.client.name}</td>
              <td className="px-4 py-3 text-slate-600">{c.category.toLowerCase().replace("_", " ")}</td>
              <td className="px-4 py-3 text-right tabular-nums">{c.recipientCount.toLocaleString("en-US")}</td>
              <td className="px-4 py-3">
                <StatusBadge status={c.status} />
              </td>
              <td className="px-4 py-3 text-slate-500">{formatDateTime(c.createdAt)}</td>
            </tr>
          ))}
          {items.length === 0 && !query.isLoading && (
            <tr>
              <td colSpan={6} className="px-4 py-10 text-center text-slate-500">
                No campaigns yet.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      {query.hasNextPage && (
        <button
          className="w-full border-t border-slate-200 py-2 text-sm text-indigo-700 hover:bg-slate-50"
          onClick={() => query.fetchNextPage()}
        >
          Load more
        </button>
      )}
    </div>
  );
}
