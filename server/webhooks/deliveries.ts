import type { Logger } from "pino";
import type { Db } from "../db";
import type { MessageStatusEvent } from "../kafka/topics";
import { isFinal } from "../messages/status";
import { metrics } from "../observability/metrics";
import { API_MESSAGE_PREFIX } from "../client-api/messages";
import type { z } from "zod";
import type { messageStatusWebhook, WebhookEvent } from "./schemas";
import { DELIVERY_HEADER, SIGNATURE_HEADER, signWebhook } from "./signature";

// Delivery webhooks: the first final status of each message a client sent through the API becomes one row of
// webhook_deliveries (its id is the message id, so a replayed or repeated event adds nothing), which the dispatcher
// POSTs to the client's URL, signed, until it answers 2xx or the attempts run out. The row is the outbox: nothing is
// lost to a crash between the status and the call, and a slow or broken endpoint never holds up message-status.

/** What a delivery row keeps: the body a client receives, less its `id` (added when it is sent; see webhookEvent). */
export type WebhookPayload = WebhookEvent extends infer E ? (E extends WebhookEvent ? Omit<E, "id"> : never) : never;

/** `api-<clientId>-<22 characters>` → clientId (see apiMessageId). */
function clientOfApiMessage(messageId: string): string | null {
  if (!messageId.startsWith(API_MESSAGE_PREFIX) || messageId.length < API_MESSAGE_PREFIX.length + 24) return null;
  return messageId.slice(API_MESSAGE_PREFIX.length, -23);
}

type StatusPayload = Omit<z.infer<typeof messageStatusWebhook>, "id">;

/** Records the webhook calls these status events call for; returns how many rows were new. */
export async function recordWebhookDeliveries(db: Db, events: MessageStatusEvent[]): Promise<number> {
  const first = new Map<string, { clientId: string; payload: StatusPayload }>();
  for (const e of events) {
    if (!isFinal(e.status) || first.has(e.messageId)) continue;
    const clientId = clientOfApiMessage(e.messageId);
    if (!clientId) continue;
    first.set(e.messageId, {
      clientId,
      payload: { type: "message.status", messageId: e.messageId, status: e.status, reason: e.reason, at: e.at },
    });
  }
  if (first.size === 0) return 0;
  const rows = [...first.values()];
  // Only clients with a URL now get rows: a client without one has asked for no calls.
  const { rowCount } = await db.pool.query(
    `INSERT INTO webhook_deliveries (id, client_id, message_id, status, payload)
     SELECT u.id, u.client_id, u.id, u.status, u.payload
     FROM unnest($1::text[], $2::text[], $3::"MessageStatus"[], $4::jsonb[]) AS u(id, client_id, status, payload)
     JOIN clients c ON c.id = u.client_id AND c.webhook_url IS NOT NULL
     ON CONFLICT (id) DO NOTHING`,
    [
      rows.map((r) => r.payload.messageId),
      rows.map((r) => r.clientId),
      rows.map((r) => r.payload.status),
      rows.map((r) => JSON.stringify(r.payload)),
    ],
  );
  return rowCount ?? 0;
}

export type DispatchSettings = {
  timeoutMs: number;
  retryBaseMs: number;
  maxAttempts: number;
  /** Calls claimed (and made concurrently) per round. */
  concurrency: number;
};

type Claimed = {
  id: string;
  payload: WebhookPayload;
  attempts: number;
  webhook_url: string | null;
  webhook_secret: string | null;
};

type Outcome = { id: string; ok: boolean; httpStatus: number | null; error: string | null; attempts: number };

/** The wait before attempt n + 1 after n failed ones: base × 2^(n-1), at most an hour. */
export function retryDelayMs(failedAttempts: number, baseMs: number): number {
  return Math.min(baseMs * 2 ** Math.min(failedAttempts - 1, 30), 3_600_000);
}

async function call(row: Claimed, timeoutMs: number): Promise<Omit<Outcome, "id" | "attempts">> {
  if (!row.webhook_url || !row.webhook_secret) return { ok: false, httpStatus: null, error: "no webhook URL" };
  const body = JSON.stringify({ id: row.id, ...row.payload });
  try {
    const res = await fetch(row.webhook_url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "Volley-Webhooks/1",
        [SIGNATURE_HEADER]: signWebhook(row.webhook_secret, body),
        [DELIVERY_HEADER]: row.id,
      },
      body,
      // A redirect is an answer to fix on the client's side, not a place to send signed data unasked.
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel().catch(() => undefined);
    if (res.status >= 200 && res.status < 300) return { ok: true, httpStatus: res.status, error: null };
    return { ok: false, httpStatus: res.status, error: `HTTP ${res.status}` };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const error = e.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.message);
    return { ok: false, httpStatus: null, error: error.slice(0, 500) };
  }
}

/**
 * One round: claims the due calls (pushing their next attempt past the call's timeout, so a dispatcher that dies
 * mid-call leaves them to be retried, and two dispatchers never make the same call at once), makes them, and records
 * each outcome. Returns how many calls were made.
 */
export async function dispatchDueWebhooks(deps: { db: Db; log: Logger }, settings: DispatchSettings): Promise<number> {
  const leaseSeconds = Math.ceil(settings.timeoutMs / 1000) + 30;
  const { rows } = await deps.db.pool.query<Claimed>(
    `WITH due AS (
       SELECT id FROM webhook_deliveries
       WHERE state = 'PENDING' AND next_attempt_at <= now()
       ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
     UPDATE webhook_deliveries d
     SET attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => $2)
     FROM due, clients c
     WHERE d.id = due.id AND c.id = d.client_id
     RETURNING d.id, d.payload, d.attempts, c.webhook_url, c.webhook_secret`,
    [settings.concurrency, leaseSeconds],
  );
  if (rows.length === 0) return 0;
  const outcomes: Outcome[] = await Promise.all(
    rows.map(async (row) => ({ id: row.id, attempts: row.attempts, ...(await call(row, settings.timeoutMs)) })),
  );
  const now = Date.now();
  const state = (o: Outcome) =>
    o.ok ? "DELIVERED" : o.attempts >= settings.maxAttempts || o.error === "no webhook URL" ? "FAILED" : "PENDING";
  await deps.db.pool.query(
    `UPDATE webhook_deliveries d
     SET state = u.state, next_attempt_at = u.next_at, last_http_status = u.http_status, last_error = u.error,
         delivered_at = CASE WHEN u.state = 'DELIVERED' THEN now() END
     FROM unnest($1::text[], $2::"WebhookDeliveryState"[], $3::timestamptz[], $4::int[], $5::text[])
          AS u(id, state, next_at, http_status, error)
     WHERE d.id = u.id`,
    [
      outcomes.map((o) => o.id),
      outcomes.map(state),
      outcomes.map((o) => new Date(now + (o.ok ? 0 : retryDelayMs(o.attempts, settings.retryBaseMs)))),
      outcomes.map((o) => o.httpStatus),
      outcomes.map((o) => o.error),
    ],
  );
  for (const o of outcomes) {
    const s = state(o);
    metrics.webhookCalls.inc({ outcome: s === "DELIVERED" ? "delivered" : s === "FAILED" ? "failed" : "retry" });
    if (s === "FAILED") deps.log.warn({ deliveryId: o.id, attempts: o.attempts, error: o.error }, "webhook given up");
  }
  return rows.length;
}
