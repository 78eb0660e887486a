"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { listRules } from "@/server/delivery/admin/service";
import { useTRPC } from "../../_trpc/react";
import { errorText, hint, input, labelText, primaryButton, smallButton, td, th } from "../../_components/ui";

type Rule = Awaited<ReturnType<typeof listRules>>[number];
type Category = "MARKETING" | "AUTHENTICATION" | "AGENT_FLOW";
const CATEGORIES: Category[] = ["MARKETING", "AUTHENTICATION", "AGENT_FLOW"];
const categoryLabel = (c: Category) => c.toLowerCase().replace("_", " ");

export function RoutingRules({ canEdit }: { canEdit: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const rules = useQuery(trpc.providers.rules.list.queryOptions());
  const [editing, setEditing] = useState<Rule | "new" | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.providers.rules.list.queryKey() });
  const remove = useMutation(trpc.providers.rules.delete.mutationOptions({ onSettled: refresh }));
  const reorder = useMutation(trpc.providers.rules.reorder.mutationOptions({ onSettled: refresh }));
  const list = rules.data ?? [];
  const move = (index: number, by: -1 | 1) => {
    const ids = list.map((r) => r.id);
    const [id] = ids.splice(index, 1);
    ids.splice(index + by, 0, id!);
    reorder.mutate({ ids });
  };
  const error = errorText(remove.error ?? reorder.error);

  return (
    <section className="mt-10 space-y-4">
      <div className="flex items-center justify-between gap-4">
        <div>
          <h2 className="text-lg font-medium">Routing rules</h2>
          <p className="text-sm text-slate-500">
            The most specific enabled rule wins: a client&apos;s own over any client&apos;s, a longer prefix over a
            shorter one, a category&apos;s over any category&apos;s, then the lower position. Its providers are tried in
            order.
          </p>
        </div>
        {canEdit && editing === null && (
          <button
            type="button"
            className={`${primaryButton} shrink-0 whitespace-nowrap`}
            onClick={() => setEditing("new")}
          >
            Add rule
          </button>
        )}
      </div>
      {canEdit && editing !== null && (
        <RuleForm
          key={editing === "new" ? "new" : editing.id}
          rule={editing === "new" ? null : editing}
          onDone={() => setEditing(null)}
        />
      )}
      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
        <table className="min-w-full divide-y divide-slate-200 text-sm">
          <thead className="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
            <tr>
              <th className={th}>Position</th>
              <th className={th}>Client</th>
              <th className={th}>Prefix</th>
              <th className={th}>Category</th>
              <th className={th}>Providers (in order)</th>
              <th className={th}>Enabled</th>
              {canEdit && <th className={th} />}
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100" data-testid="routing-rules">
            {list.map((r, i) => (
              <tr key={r.id} className="hover:bg-slate-50">
                <td className={`${td} tabular-nums`}>{r.position}</td>
                <td className={td}>{r.clientId ? (r.clientName ?? r.clientId) : "any"}</td>
                <td className={`${td} font-mono`}>{r.prefix || "any"}</td>
                <td className={td}>{r.category ? categoryLabel(r.category) : "any"}</td>
                <td className={td}>{r.providers.map((p) => p.name ?? `${p.id} (missing)`).join(" → ")}</td>
                <td className={td}>{r.enabled ? "yes" : "no"}</td>
                {canEdit && (
                  <td className={`${td} whitespace-nowrap text-right`}>
                    <button
                      type="button"
                      className={smallButton}
                      aria-label="Move up"
                      disabled={i === 0 || reorder.isPending}
                      onClick={() => move(i, -1)}
                    >
                      ↑
                    </button>{" "}
                    <button
                      type="button"
                      className={smallButton}
                      aria-label="Move down"
                      disabled={i === list.length - 1 || reorder.isPending}
                      onClick={() => move(i, 1)}
                    >
                      ↓
                    </button>{" "}
                    <button type="button" className={smallButton} onClick={() => setEditing(r)}>
                      Edit
                    </button>{" "}
                    <button
                      type="button"
                      className={smallButton}
                      disabled={remove.isPending && remove.variables?.id === r.id}
                      onClick={() => {
                        if (window.confirm("Delete this routing rule?")) remove.mutate({ id: r.id });
                      }}
                    >
                      Delete
                    </button>
                  </td>
                )}
              </tr>
            ))}
            {list.length === 0 && !rules.isLoading && (
              <tr>
                <td colSpan={canEdit ? 7 : 6} className="px-4 py-10 text-center text-slate-500">
                  No routing rules yet.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {error && (
        <p role="alert" className="text-sm text-red-600">
          {error}
        </p>
      )}
    </section>
  );
}

function RuleForm({ rule, onDone }: { rule: Rule | null; onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const clients = useQuery(trpc.clients.list.queryOptions());
  const providers = useQuery(trpc.providers.list.queryOptions());
  const [clientId, setClientId] = useState(rule?.clientId ?? "");
  const [prefix, setPrefix] = useState(rule?.prefix ?? "");
  const [category, setCategory] = useState<Category | "">(rule?.category ?? "");
  const [providerIds, setProviderIds] = useState<string[]>(rule?.providerIds ?? []);
  const [position, setPosition] = useState(rule ? String(rule.position) : "");
  const [enabled, setEnabled] = useState(rule?.enabled ?? true);
  const onSuccess = async () => {
    await queryClient.invalidateQueries({ queryKey: trpc.providers.rules.list.queryKey() });
    onDone();
  };
  const create = useMutation(trpc.providers.rules.create.mutationOptions({ onSuccess }));
  const update = useMutation(trpc.providers.rules.update.mutationOptions({ onSuccess }));
  const pending = create.isPending || update.isPending;
  const error = errorText(create.error ?? update.error);
  const providerName = (id: string) => providers.data?.find((p) => p.id === id)?.name ?? id;
  const available = (providers.data ?? []).filter((p) => !providerIds.includes(p.id));
  const moveProvider = (index: number, by: -1 | 1) =>
    setProviderIds((ids) => {
      const next = [...ids];
      const [id] = next.splice(index, 1);
      next.splice(index + by, 0, id!);
      return next;
    });

  return (
    <form
      className="rounded-lg border border-slate-200 bg-white p-6"
      aria-label={rule ? "Edit routing rule" : "New routing rule"}
      onSubmit={(e) => {
        e.preventDefault();
        const body = {
          clientId: clientId || null,
          prefix,
          category: category || null,
          providerIds,
          enabled,
        };
        if (rule) update.mutate({ id: rule.id, ...body, position: Number(position || 0) });
        else create.mutate(position === "" ? body : { ...body, position: Number(position) });
      }}
    >
      <h2 className="font-medium">{rule ? "Edit routing rule" : "New routing rule"}</h2>
      <div className="mt-4 grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
        <div>
          <label htmlFor="rule-client" className={labelText}>
            Client
          </label>
          <select id="rule-client" className={input} value={clientId} onChange={(e) => setClientId(e.target.value)}>
            <option value="">Any client</option>
            {clients.data?.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="rule-prefix" className={labelText}>
            Destination prefix
          </label>
          <input
            id="rule-prefix"
            className={`${input} font-mono`}
            placeholder="+447 (empty: any)"
            value={prefix}
            onChange={(e) => setPrefix(e.target.value)}
          />
        </div>
        <div>
          <label htmlFor="rule-category" className={labelText}>
            Category
          </label>
          <select
            id="rule-category"
            className={input}
            value={category}
            onChange={(e) => setCategory(e.target.value as Category | "")}
          >
            <option value="">Any category</option>
            {CATEGORIES.map((c) => (
              <option key={c} value={c}>
                {categoryLabel(c)}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="rule-position" className={labelText}>
            Position
          </label>
          <input
            id="rule-position"
            type="number"
            min={0}
            step={1}
            className={input}
            placeholder={rule ? undefined : "last"}
            value={position}
            onChange={(e) => setPosition(e.target.value)}
          />
          <span className={hint}>Lower goes first among equally specific rules.</span>
        </div>
      </div>

      <div className="mt-4">
        <span className={labelText}>Providers, in priority order</span>
        <ol className="mt-2 space-y-1 text-sm" data-testid="rule-providers">
          {providerIds.map((id, i) => (
            <li key={id} className="flex items-center gap-2">
              <span className="w-5 text-right tabular-nums text-slate-400">{i + 1}.</span>
              <span className="min-w-40">{providerName(id)}</span>
              <button
                type="button"
                className={smallButton}
                disabled={i === 0}
                aria-label={`Raise ${providerName(id)}`}
                onClick={() => moveProvider(i, -1)}
              >
                ↑
              </button>
              <button
                type="button"
                className={smallButton}
                disabled={i === providerIds.length - 1}
                aria-label={`Lower ${providerName(id)}`}
                onClick={() => moveProvider(i, 1)}
              >
                ↓
              </button>
              <button
                type="button"
                className={smallButton}
                aria-label={`Remove ${providerName(id)}`}
                onClick={() => setProviderIds((ids) => ids.filter((x) => x !== id))}
              >
                Remove
              </button>
            </li>
          ))}
          {providerIds.length === 0 && <li className="text-slate-500">None chosen yet.</li>}
        </ol>
        <label htmlFor="rule-add-provider" className={`${labelText} mt-3`}>
          Add provider
        </label>
        <select
          id="rule-add-provider"
          className={`${input} max-w-xs`}
          value=""
          onChange={(e) => e.target.value && setProviderIds((ids) => [...ids, e.target.value])}
        >
          <option value="">Choose…</option>
          {available.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
        <span className={hint}>The first healthy one takes the message; the next ones are the failover.</span>
      </div>

      <label className="mt-4 flex items-center gap-2 text-sm font-medium">
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
        Rule enabled
      </label>

      <div className="mt-6 flex items-center gap-3">
        <button type="submit" className={primaryButton} disabled={pending}>
          {pending ? "Saving…" : rule ? "Save rule" : "Create rule"}
        </button>
        <button type="button" className={smallButton} onClick={onDone}>
          Cancel
        </button>
        {error && (
          <p role="alert" className="text-sm text-red-600">
            {error}
          </p>
        )}
      </div>
    </form>
  );
}
