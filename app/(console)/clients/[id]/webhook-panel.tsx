"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { formatDateTime } from "../../../_components/format";
import { errorText, hint, input, labelText, primaryButton, smallButton } from "../../../_components/ui";
import { useTRPC } from "../../../_trpc/react";

/** Where the client's API messages' final statuses and its replies are POSTed, the secret that signs them, and how the calls go. */
export function WebhookPanel({ clientId, canEdit }: { clientId: string; canEdit: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const settings = useQuery({
    ...trpc.webhooks.get.queryOptions({ clientId }),
    refetchInterval: 10_000,
  });
  const [draft, setDraft] = useState<string | null>(null);
  const [revealed, setRevealed] = useState(false);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.webhooks.get.queryKey({ clientId }) });
  const setUrl = useMutation(
    trpc.webhooks.setUrl.mutationOptions({
      onSuccess: async () => {
        setDraft(null);
        await refresh();
      },
    }),
  );
  const rotate = useMutation(trpc.webhooks.rotateSecret.mutationOptions({ onSuccess: refresh }));
  const retry = useMutation(trpc.webhooks.retryFailed.mutationOptions({ onSuccess: refresh }));
  const data = settings.data;
  const url = draft ?? data?.url ?? "";
  const error = errorText(setUrl.error) ?? rotate.error?.message ?? retry.error?.message ?? settings.error?.message;

  return (
    <section className="rounded-lg border border-slate-200 bg-white p-6 lg:col-span-3" data-testid="webhook-panel">
      <h2 className="font-medium">Delivery webhook</h2>
      <p className="mt-1 text-xs text-slate-500">
        Each message the client sends through the API is POSTed here once it reaches its final status (
        <code className="font-mono">message.status</code>), and each reply a handset sends the client (
        <code className="font-mono">message.received</code>), signed in the{" "}
        <code className="font-mono">Volley-Signature</code> header (HMAC-SHA256 of{" "}
        <code className="font-mono">t.body</code> with the secret). Failed calls are retried for about a day.
      </p>

      {canEdit ? (
        <form
          className="mt-4"
          onSubmit={(e) => {
            e.preventDefault();
            setUrl.mutate({ clientId, url: url.trim() === "" ? null : url.trim() });
          }}
        >
          <label htmlFor="webhook-url" className={labelText}>
            URL
          </label>
          <div className="flex gap-2">
            <input
              id="webhook-url"
              type="url"
              className={input}
              placeholder="https://example.com/hooks/volley"
              value={url}
              onChange={(e) => setDraft(e.target.value)}
            />
            <button type="submit" disabled={setUrl.isPending || draft === null} className={`${primaryButton} mt-1`}>
              {setUrl.isPending ? "Saving…" : "Set URL"}
            </button>
          </div>
          <span className={hint}>Leave it empty and set it to stop the calls.</span>
        </form>
      ) : (
        <p className="mt-4 text-sm">
          URL: <span className="font-mono">{data?.url ?? "none"}</span>
        </p>
      )}

      {canEdit && data?.hasSecret && (
        <div className="mt-4 flex flex-wrap items-center gap-2 text-sm">
          <span className={labelText}>Signing secret</span>
          <code className="rounded bg-slate-50 px-2 py-1 font-mono" data-testid="webhook-secret">
            {revealed ? data.secret : `${data.secret?.slice(0, 10)}…`}
          </code>
          <button type="button" className={smallButton} onClick={() => setRevealed(!revealed)}>
            {revealed ? "Hide" : "Show"}
          </button>
          <button
            type="button"
            className={smallButton}
            disabled={rotate.isPending}
            onClick={() => {
              setRevealed(true);
              rotate.mutate({ clientId });
            }}
          >
            New secret
          </button>
        </div>
      )}

      {data && (
        <p className="mt-4 text-sm" data-testid="webhook-counts">
          {data.counts.pending} pending · {data.counts.delivered} delivered · {data.counts.failed} given up
          <span className="text-slate-500"> (last 24 hours)</span>
          {canEdit && data.counts.failed > 0 && (
            <button
              type="button"
              className={`${smallButton} ml-3`}
              disabled={retry.isPending}
              onClick={() => retry.mutate({ clientId })}
            >
              Retry given-up calls
            </button>
          )}
        </p>
      )}
      {data && data.recentFailures.length > 0 && (
        <ul className="mt-2 space-y-1 text-xs text-slate-600" data-testid="webhook-failures">
          {data.recentFailures.map((f) => (
            <li key={f.messageId}>
              <span className="font-mono">{f.messageId}</span>: {f.lastError ?? "not answered yet"} after {f.attempts}{" "}
              {f.attempts === 1 ? "attempt" : "attempts"}
              {f.state === "PENDING" ? `, next ${formatDateTime(f.nextAttemptAt)}` : ", given up"}
            </li>
          ))}
        </ul>
      )}
      {error && (
        <p role="alert" className="mt-2 text-sm text-red-600">
          {error}
        </p>
      )}
    </section>
  );
}
