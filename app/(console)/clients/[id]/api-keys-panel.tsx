"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { formatDateTime } from "../../../_components/format";
import { useTRPC } from "../../../_trpc/react";

const inputBase =
  "block w-full rounded-md border border-slate-300 px-3 py-2 text-sm focus:border-indigo-500 focus:outline-none";
const primaryButton =
  "rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500 disabled:opacity-50";
const smallButton =
  "rounded-md border border-slate-300 px-3 py-1 text-sm text-slate-700 hover:bg-slate-50 disabled:opacity-50";
const dangerButton =
  "rounded-md bg-rose-600 px-3 py-1 text-sm font-semibold text-white hover:bg-rose-500 disabled:opacity-50";

/** The client's API keys: issue one (its secret is shown once), see which are in use, revoke. */
export function ApiKeysPanel({ clientId, canEdit }: { clientId: string; canEdit: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const keys = useQuery(trpc.apiKeys.list.queryOptions({ clientId }));
  const [name, setName] = useState("");
  const [confirming, setConfirming] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.apiKeys.list.queryKey({ clientId }) });
  const create = useMutation(
    trpc.apiKeys.create.mutationOptions({
      onSuccess: async () => {
        setName("");
        setCopied(false);
        await refresh();
      },
    }),
  );
  const revoke = useMutation(
    trpc.apiKeys.revoke.mutationOptions({
      onSuccess: async () => {
        setConfirming(null);
        await refresh();
      },
    }),
  );
  const nameErrors = (create.error?.data?.zodError?.fieldErrors as Record<string, string[] | undefined> | undefined)
    ?.name;
  const error = (create.error && !nameErrors ? create.error : null) ?? revoke.error ?? keys.error;
  const issued = create.data;

  return (
    <section className="rounded-lg border border-slate-200 bg-white p-6 lg:col-span-3" data-testid="api-keys-panel">
      <h2 className="font-medium">API keys</h2>
      <p className="mt-1 text-xs text-slate-500">
        The client&apos;s systems call the Client API (e.g. <code className="font-mono">GET /api/v1/balance</code>) with{" "}
        <code className="font-mono">Authorization: Bearer &lt;key&gt;</code>.
      </p>

      {issued && (
        <div
          className="mt-4 rounded-md border border-amber-300 bg-amber-50 p-4"
          role="status"
          data-testid="new-api-key"
        >
          <p className="text-sm font-medium text-amber-900">
            New key &ldquo;{issued.apiKey.name}&rdquo;: copy it now. It won&apos;t be shown again.
          </p>
          <div className="mt-2 flex gap-2">
            <input
              readOnly
              aria-label="New API key"
              className={`${inputBase} bg-white font-mono`}
              value={issued.key}
              onFocus={(e) => e.currentTarget.select()}
            />
            <button
              type="button"
              className={smallButton}
              onClick={() =>
                navigator.clipboard
                  ?.writeText(issued.key)
                  .then(() => setCopied(true))
                  .catch(() => setCopied(false))
              }
            >
              {copied ? "Copied" : "Copy"}
            </button>
            <button type="button" className={smallButton} onClick={() => create.reset()}>
              Done
            </button>
          </div>
          <p className="mt-1 text-xs text-amber-800">
            Volley keeps only a fingerprint of it; if it is lost, revoke it and create another.
          </p>
        </div>
      )}

      <table className="mt-4 min-w-full divide-y divide-slate-200 text-sm">
        <thead className="text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
          <tr>
            <th className="py-2">Name</th>
            <th className="py-2">Key</th>
            <th className="py-2">Created</th>
            <th className="py-2">Last used</th>
            <th className="py-2">Status</th>
            {canEdit && <th className="py-2" />}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100" data-testid="api-keys">
          {keys.data?.map((k) => (
            <tr key={k.id} className={k.revokedAt ? "text-slate-400" : ""}>
              <td className="py-2">{k.name}</td>
              <td className="py-2 font-mono">{k.prefix}…</td>
              <td className="py-2">{formatDateTime(k.createdAt)}</td>
              <td className="py-2">{k.lastUsedAt ? formatDateTime(k.lastUsedAt) : "never"}</td>
              <td className="py-2">{k.revokedAt ? `revoked ${formatDateTime(k.revokedAt)}` : "active"}</td>
              {canEdit && (
                <td className="py-2 text-right">
                  {!k.revokedAt && confirming !== k.id && (
                    <button
                      type="button"
                      className={smallButton}
                      aria-label={`Revoke ${k.name}`}
                      onClick={() => {
                        revoke.reset();
                        setConfirming(k.id);
                      }}
                    >
                      Revoke
                    </button>
                  )}
                  {!k.revokedAt && confirming === k.id && (
                    <span className="inline-flex items-center gap-2">
                      <span className="text-xs text-rose-700">Calls with it fail at once.</span>
                      <button
                        type="button"
                        className={dangerButton}
                        disabled={revoke.isPending}
                        onClick={() => revoke.mutate({ id: k.id })}
                      >
                        Confirm revoke
                      </button>
                      <button type="button" className={smallButton} onClick={() => setConfirming(null)}>
                        Cancel
                      </button>
                    </span>
                  )}
                </td>
              )}
            </tr>
          ))}
          {keys.data?.length === 0 && (
            <tr>
              <td colSpan={canEdit ? 6 : 5} className="py-2 text-slate-500">
                No keys yet.
              </td>
            </tr>
          )}
        </tbody>
      </table>

      {canEdit && (
        <form
          className="mt-4 border-t border-slate-100 pt-4"
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate({ clientId, name });
          }}
        >
          <label htmlFor="api-key-name" className="block text-sm font-medium">
            New key name
          </label>
          <div className="mt-1 flex gap-2">
            <input
              id="api-key-name"
              className={inputBase}
              placeholder="Billing dashboard"
              value={name}
              onChange={(e) => setName(e.target.value)}
              maxLength={100}
              required
            />
            <button type="submit" disabled={create.isPending} className={`${primaryButton} whitespace-nowrap`}>
              {create.isPending ? "Creating…" : "Create key"}
            </button>
          </div>
          <span className="mt-1 block text-xs text-slate-500">Say what will use it, so it can be revoked alone.</span>
          {nameErrors && <span className="mt-1 block text-xs text-red-600">{nameErrors.join(", ")}</span>}
        </form>
      )}
      {error && (
        <p role="alert" className="mt-2 text-sm text-red-600">
          {error.message}
        </p>
      )}
    </section>
  );
}
