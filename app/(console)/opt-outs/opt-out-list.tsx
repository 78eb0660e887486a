"use client";

import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { formatDateTime } from "../../_components/format";
import { useTRPC } from "../../_trpc/react";
import { optOutListInput, optOutListPaging, type OptOutFilter } from "./list-options";

const input =
  "mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm focus:border-indigo-500 focus:outline-none";
const labelText = "block text-sm font-medium";

export function OptOutList({ canEdit }: { canEdit: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [filter, setFilter] = useState<OptOutFilter>("");
  const [numberDraft, setNumberDraft] = useState("");
  const [number, setNumber] = useState("");
  const clients = useQuery(trpc.clients.list.queryOptions());
  // Always read afresh when shown: replies add and remove opt-outs while no one is looking.
  const list = useInfiniteQuery({
    ...trpc.optOuts.list.infiniteQueryOptions(optOutListInput(filter, number), optOutListPaging),
    staleTime: 0,
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.optOuts.list.pathKey() });
  const remove = useMutation(trpc.optOuts.remove.mutationOptions({ onSettled: refresh }));

  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  const columns = canEdit ? 5 : 4;

  return (
    <div className="mt-6 space-y-4">
      {canEdit && <AddOptOutForm clients={clients.data ?? []} onAdded={refresh} />}

      <div className="flex items-end gap-3">
        <form
          className="flex items-end gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            setNumber(numberDraft.trim());
          }}
        >
          <div className="w-64">
            <label htmlFor="opt-out-find" className={labelText}>
              Find a number
            </label>
            <input
              id="opt-out-find"
              className={`${input} font-mono`}
              placeholder="+447911123456"
              value={numberDraft}
              onChange={(e) => setNumberDraft(e.target.value)}
            />
          </div>
          <button
            type="submit"
            className="rounded-md border border-slate-300 px-3 py-2 text-sm text-slate-700 hover:bg-slate-50"
          >
            Find
          </button>
        </form>
        <div className="w-72">
          <label htmlFor="opt-out-filter" className={labelText}>
            Show
          </label>
          <select id="opt-out-filter" className={input} value={filter} onChange={(e) => setFilter(e.target.value)}>
            <option value="">All</option>
            <option value="global">Global only</option>
            <optgroup label="For one client">
              {clients.data?.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </optgroup>
          </select>
        </div>
      </div>

      {list.error && (
        <p role="alert" className="text-sm text-red-600">
          {list.error.message}
        </p>
      )}
      {remove.error && (
        <p role="alert" className="text-sm text-red-600">
          {remove.error.message}
        </p>
      )}

      <div className="overflow-hidden rounded-lg border border-slate-200 bg-white">
        <table className="min-w-full divide-y divide-slate-200 text-sm" data-testid="opt-out-table">
          <thead className="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
            <tr>
              <th className="px-4 py-3">Number</th>
              <th className="px-4 py-3">Scope</th>
              <th className="px-4 py-3">Asked by</th>
              <th className="px-4 py-3">Added</th>
              {canEdit && <th className="px-4 py-3" />}
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {items.map((o) => (
              <tr key={o.id} className="hover:bg-slate-50">
                <td className="px-4 py-3 font-mono">{o.msisdn}</td>
                <td className="px-4 py-3">
                  {o.clientId ? (
                    <Link href={`/clients/${o.clientId}`} className="text-indigo-700 hover:underline">
                      {o.client?.name ?? o.clientId}
                    </Link>
                  ) : (
                    <span className="inline-flex rounded-full bg-slate-800 px-2 py-0.5 text-xs font-semibold text-white">
                      global
                    </span>
                  )}
                </td>
                <td className="px-4 py-3 text-slate-600">
                  {o.source === "REPLY" ? (
                    <Link
                      href={`/replies?clientId=${o.clientId ?? ""}`}
                      className="text-indigo-700 hover:underline"
                      title="The number replied STOP"
                    >
                      STOP reply
                    </Link>
                  ) : (
                    "operator"
                  )}
                </td>
                <td className="px-4 py-3 text-slate-500">{formatDateTime(o.createdAt)}</td>
                {canEdit && (
                  <td className="px-4 py-3 text-right">
                    <button
                      aria-label={`Remove ${o.msisdn}`}
                      disabled={remove.isPending && remove.variables?.msisdn === o.msisdn}
                      onClick={() => {
                        const whom = o.client ? o.client.name : "every client";
                        if (window.confirm(`Remove the opt-out? ${o.msisdn} can then get messages from ${whom}.`))
                          remove.mutate({ msisdn: o.msisdn, clientId: o.clientId });
                      }}
                      className="rounded-md border border-slate-300 px-3 py-1 text-sm text-slate-700 hover:bg-slate-50 disabled:opacity-50"
                    >
                      Remove
                    </button>
                  </td>
                )}
              </tr>
            ))}
            {items.length === 0 && !list.isLoading && (
              <tr>
                <td colSpan={columns} className="px-4 py-10 text-center text-slate-500">
                  No opt-outs here.
                </td>
              </tr>
            )}
          </tbody>
        </table>
        {list.hasNextPage && (
          <button
            className="w-full border-t border-slate-200 py-2 text-sm text-indigo-700 hover:bg-slate-50 disabled:opacity-50"
            disabled={list.isFetchingNextPage}
            onClick={() => list.fetchNextPage()}
          >
            {list.isFetchingNextPage ? "Loading…" : "Load more"}
          </button>
        )}
      </div>
    </div>
  );
}

function AddOptOutForm({
  clients,
  onAdded,
}: {
  clients: { id: string; name: string }[];
  onAdded: () => Promise<unknown>;
}) {
  const trpc = useTRPC();
  const [msisdn, setMsisdn] = useState("");
  const [scope, setScope] = useState("");
  const add = useMutation(
    trpc.optOuts.add.mutationOptions({
      onSuccess: async () => {
        await onAdded();
        setMsisdn("");
      },
    }),
  );
  const fieldErrors = add.error?.data?.zodError?.fieldErrors as Record<string, string[] | undefined> | undefined;

  return (
    <form
      className="rounded-lg border border-slate-200 bg-white p-4"
      onSubmit={(e) => {
        e.preventDefault();
        add.mutate({ msisdn, clientId: scope || null });
      }}
    >
      <h2 className="text-sm font-medium">Add an opt-out</h2>
      <div className="mt-2 flex flex-wrap items-start gap-3">
        <div className="w-64">
          <label htmlFor="opt-out-number" className={labelText}>
            Number
          </label>
          <input
            id="opt-out-number"
            className={`${input} font-mono`}
            placeholder="+447911123456"
            value={msisdn}
            onChange={(e) => setMsisdn(e.target.value)}
            required
          />
          <FieldError errors={fieldErrors?.msisdn} />
        </div>
        <div className="w-72">
          <label htmlFor="opt-out-scope" className={labelText}>
            Applies to
          </label>
          <select id="opt-out-scope" className={input} value={scope} onChange={(e) => setScope(e.target.value)}>
            <option value="">Every client (global)</option>
            {clients.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name} only
              </option>
            ))}
          </select>
          <FieldError errors={fieldErrors?.clientId} />
        </div>
        <button
          type="submit"
          disabled={add.isPending}
          className="mt-6 rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500 disabled:opacity-50"
        >
          {add.isPending ? "Adding…" : "Add"}
        </button>
      </div>
      {add.error && !fieldErrors && (
        <p role="alert" className="mt-2 text-sm text-red-600">
          {add.error.message}
        </p>
      )}
      {add.isSuccess && !add.isPending && (
        <p role="status" className="mt-2 text-sm text-emerald-700">
          {add.data.msisdn} opted out.
        </p>
      )}
    </form>
  );
}

function FieldError({ errors }: { errors?: string[] }) {
  if (!errors?.length) return null;
  return <span className="mt-1 block text-xs text-red-600">{errors.join(", ")}</span>;
}
