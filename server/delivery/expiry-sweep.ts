import type { Redis } from "ioredis";
import type { Db } from "../db";
import type { VolleyProducer } from "../kafka/client";
import { tallyKey } from "./keys";
import { deliveryStatus, emitStatuses } from "./status-events";

export const VALIDITY_EXPIRED = "VALIDITY_EXPIRED";

/**
 * UNCONFIRMED submissions that no receipt resolved within their validity period end EXPIRED. The rows change and
 * the events are produced in one transaction: a failed produce leaves them UNCONFIRMED for the next sweep. One whose
 * receipt did decide it (through a segment whose id was recorded) keeps that status and becomes SUBMITTED.
 */
export async function expireUnconfirmed(
  deps: { db: Pick<Db, "pool">; redis: Redis; producer: VolleyProducer; topicPrefix: string },
  limit = 1_000,
): Promise<number> {
  const client = await deps.db.pool.connect();
  try {
    await client.query("BEGIN");
    const { rows } = await client.query<{ message_id: string; client_id: string; account_id: string }>(
      `UPDATE submissions SET state = 'FAILED', unconfirmed = false, last_error = 'EXPIRED ${VALIDITY_EXPIRED}',
              updated_at = now()
       WHERE message_id IN (
         SELECT message_id FROM submissions WHERE unconfirmed AND state = 'UNCONFIRMED' AND valid_until < now()
         ORDER BY valid_until LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING message_id, client_id, account_id`,
      [limit],
    );
    const decided = await decidedByReceipt(deps.redis, deps.topicPrefix, rows);
    if (decided.size > 0) {
      await client.query(
        "UPDATE submissions SET state = 'SUBMITTED', last_error = NULL WHERE message_id = ANY($1::text[])",
        [[...decided]],
      );
    }
    const expired = rows.filter((r) => !decided.has(r.message_id));
    const now = new Date();
    await emitStatuses(
      deps.producer,
      deps.topicPrefix,
      expired.map((r) =>
        deliveryStatus(
          r.message_id,
          "EXPIRED",
          VALIDITY_EXPIRED,
          { clientId: r.client_id, accountId: r.account_id },
          now,
        ),
      ),
    );
    await client.query("COMMIT");
    if (expired.length > 0) {
      // A receipt that turns up after all changes nothing.
      const pipeline = deps.redis.pipeline();
      for (const r of expired) pipeline.hset(tallyKey(deps.topicPrefix, r.message_id), "done", "EXPIRED");
      for (const r of expired) pipeline.expire(tallyKey(deps.topicPrefix, r.message_id), 86_400);
      await pipeline.exec();
    }
    return rows.length;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** The messages among these whose final status a receipt already decided (part-tally.ts). */
async function decidedByReceipt(redis: Redis, prefix: string, rows: { message_id: string }[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const pipeline = redis.pipeline();
  for (const r of rows) pipeline.hexists(tallyKey(prefix, r.message_id), "done");
  const replies = (await pipeline.exec()) ?? [];
  const decided = new Set<string>();
  replies.forEach(([err, value], i) => {
    if (err) throw err;
    if (value === 1) decided.add(rows[i]!.message_id);
  });
  return decided;
}

export const NO_RECEIPT = "NO_RECEIPT";

/** How far the no-receipt sweep has looked (the valid_until of the last submission it considered), per install. */
const noReceiptMarkKey = (prefix: string) => `delivery:${prefix}no-receipt-mark`;

/**
 * A SUBMITTED message whose receipt never came (the carrier sent none, or a worker died after acknowledging it) ends
 * EXPIRED NO_RECEIPT once its validity period plus `waitSeconds` is over, so that campaigns complete. It walks
 * valid_until forward from a watermark in Redis, so each submission is looked at about once.
 */
export async function expireUnreceipted(
  deps: { db: Pick<Db, "pool">; redis: Redis; producer: VolleyProducer; topicPrefix: string },
  waitSeconds: number,
  limit = 1_000,
): Promise<number> {
  const markKey = noReceiptMarkKey(deps.topicPrefix);
  const mark = (await deps.redis.get(markKey)) ?? new Date(Date.now() - (waitSeconds + 86_400) * 1000).toISOString();
  const { rows } = await deps.db.pool.query<{
    message_id: string;
    client_id: string;
    account_id: string;
    valid_until: Date;
    is_open: boolean;
  }>(
    `SELECT s.message_id, s.client_id, s.account_id, s.valid_until,
            m.status IS NOT NULL AND m.status NOT IN ('DELIVERED', 'UNDELIVERABLE', 'EXPIRED', 'REJECTED', 'FAILED',
                                                      'CANCELLED') AS is_open
     FROM submissions s LEFT JOIN messages m ON m.id = s.message_id
     WHERE NOT s.unconfirmed AND s.state = 'SUBMITTED' AND s.valid_until > $1::timestamptz
       AND s.valid_until <= now() - make_interval(secs => $2)
     ORDER BY s.valid_until LIMIT $3`,
    [mark, waitSeconds, limit],
  );
  const open = rows.filter((r) => r.is_open);
  const now = new Date();
  await emitStatuses(
    deps.producer,
    deps.topicPrefix,
    open.map((r) =>
      deliveryStatus(r.message_id, "EXPIRED", NO_RECEIPT, { clientId: r.client_id, accountId: r.account_id }, now),
    ),
  );
  const pipeline = deps.redis.pipeline();
  for (const r of open) pipeline.hset(tallyKey(deps.topicPrefix, r.message_id), "done", "EXPIRED");
  for (const r of open) pipeline.expire(tallyKey(deps.topicPrefix, r.message_id), 86_400);
  // A full page may have stopped between rows with the same valid_until: step back a millisecond (a repeated
  // EXPIRED changes nothing downstream).
  const last = rows[rows.length - 1]?.valid_until;
  const next =
    rows.length === limit && last ? new Date(last.getTime() - 1) : new Date(Date.now() - waitSeconds * 1000 - 5_000);
  if (next.toISOString() > mark) pipeline.set(markKey, next.toISOString());
  await pipeline.exec();
  return open.length;
}
