"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { ProviderView } from "@/server/delivery/admin/service";
import { formatDateTime } from "../../_components/format";
import { useTRPC } from "../../_trpc/react";
import { ProviderForm } from "./provider-form";
import { errorText, primaryButton, smallButton, td, th } from "../../_components/ui";

const REFRESH_MS = 2_000;

const STATE_COLORS: Record<string, string> = {
  bound: "bg-emerald-100 text-emerald-800",
  connecting: "bg-amber-100 text-amber-800",
  binding: "bg-amber-100 text-amber-800",
  unbinding: "bg-amber-100 text-amber-800",
  disconnected: "bg-rose-100 text-rose-800",
  stopped: "bg-rose-100 text-rose-800",
};

function BindStateBadge({ live }: { live: ProviderView["live"] }) {
  const label = live ? live.state : "no worker";
  const color = live ? (STATE_COLORS[live.state] ?? "bg-slate-100 text-slate-700") : "bg-slate-100 text-slate-500";
  return (
    <span
      className={`inline-flex whitespace-nowrap rounded-full px-2 py-0.5 text-xs font-semibold ${color}`}
      data-testid="bind-state"
      title={live?.updatedAt ? `${live.worker || "worker"} · ${formatDateTime(live.updatedAt)}` : undefined}
    >
      {label}
      {live && live.binds > 1 && ` ${live.bindsBound}/${live.binds}`}
    </span>
  );
}

const int = (n: number) => n.toLocaleString("en-US");

export function ProviderList({ canEdit }: { canEdit: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  // Live figures change every second; the list is cheap (one Redis pipeline).
  const providers = useQuery(trpc.providers.list.queryOptions(undefined, { refetchInterval: REFRESH_MS }));
  const [editing, setEditing] = useState<ProviderView | "new" | null>(null);
  const setEnabled = useMutation(
    trpc.providers.setEnabled.mutationOptions({
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.providers.list.queryKey() }),
    }),
  );
  const list = providers.data ?? [];

  return (
    <section className="mt-6 space-y-4">
      <div className="flex items-center justify-between gap-4">
        <h2 className="text-lg font-medium">Connections</h2>
        {canEdit && editing === null && (
          <button
            type="button"
            className={`${primaryButton} shrink-0 whitespace-nowrap`}
            onClick={() => setEditing("new")}
          >
            Add provider
          </button>
        )}
      </div>
      {canEdit && editing !== null && (
        <ProviderForm
          key={editing === "new" ? "new" : editing.id}
          provider={editing === "new" ? null : editing}
          onDone={() => setEditing(null)}
        />
      )}
      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
        <table className="min-w-full divide-y divide-slate-200 text-sm">
          <thead className="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
            <tr>
              <th className={th}>Provider</th>
              <th className={th}>Kind</th>
              <th className={th}>Enabled</th>
              <th className={th}>State</th>
              <th className={`${th} text-right`}>Max TPS</th>
              <th className={`${th} text-right`}>Measured</th>
              <th className={`${th} text-right`}>Window</th>
              <th className={`${th} text-right`}>Queued</th>
              <th className={`${th} text-right`}>Submitted</th>
              <th className={`${th} text-right`}>Errors</th>
              {canEdit && <th className={th} />}
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100" data-testid="provider-list">
            {list.map((p) => (
              <tr key={p.id} className="hover:bg-slate-50">
                <td className={`${td} font-medium`}>
                  {p.name}
                  <span className="block text-xs font-normal text-slate-500">{endpointOf(p)}</span>
                </td>
                <td className={td}>{p.kind}</td>
                <td className={td}>{p.enabled ? "yes" : "no"}</td>
                <td className={td}>
                  <BindStateBadge live={p.live} />
                </td>
                <td className={`${td} whitespace-nowrap text-right tabular-nums`}>
                  {p.maxTps === 0 ? "no cap" : `${int(p.maxTps)}/s`}
                </td>
                <td className={`${td} text-right tabular-nums`}>
                  {p.live ? `${p.live.measuredTps.toFixed(1)}/s` : "—"}
                </td>
                <td className={`${td} text-right tabular-nums`}>
                  {p.live ? `${int(p.live.windowInUse)} / ${int(p.live.windowSize)}` : "—"}
                </td>
                <td className={`${td} text-right tabular-nums`}>{p.live ? int(p.live.queued) : "—"}</td>
                <td className={`${td} text-right tabular-nums`}>{p.live ? int(p.live.submittedTotal) : "—"}</td>
                <td className={`${td} text-right tabular-nums`}>
                  {p.live ? (
                    <span className={p.live.errorsTotal > 0 ? "text-rose-700" : undefined}>
                      {int(p.live.errorsTotal)}
                    </span>
                  ) : (
                    "—"
                  )}
                </td>
                {canEdit && (
                  <td className={`${td} text-right`}>
                    <div className="flex flex-col items-end gap-1">
                      <button
                        type="button"
                        className={smallButton}
                        aria-label={`Edit ${p.name}`}
                        onClick={() => setEditing(p)}
                      >
                        Edit
                      </button>
                      <button
                        type="button"
                        className={smallButton}
                        aria-label={`${p.enabled ? "Disable" : "Enable"} ${p.name}`}
                        disabled={setEnabled.isPending && setEnabled.variables?.id === p.id}
                        onClick={() => setEnabled.mutate({ id: p.id, enabled: !p.enabled })}
                      >
                        {p.enabled ? "Disable" : "Enable"}
                      </button>
                    </div>
                  </td>
                )}
              </tr>
            ))}
            {list.length === 0 && !providers.isLoading && (
              <tr>
                <td colSpan={canEdit ? 11 : 10} className="px-4 py-10 text-center text-slate-500">
                  No providers yet.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {setEnabled.error && (
        <p role="alert" className="text-sm text-red-600">
          {errorText(setEnabled.error)}
        </p>
      )}
    </section>
  );
}

function endpointOf(p: ProviderView): string {
  const s = p.settings;
  if (p.kind === "SMPP") {
    const binds = typeof s.binds === "number" && s.binds > 1 ? ` × ${s.binds} binds` : "";
    return `${String(s.systemId ?? "")}@${String(s.host ?? "")}:${String(s.port ?? "")}${binds}`;
  }
  return String(s.url ?? "");
}
