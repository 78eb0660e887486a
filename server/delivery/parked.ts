import type { Pool } from "pg";
import type { VolleyProducer } from "../kafka/client";
import { routedPacking, type RoutedMessage } from "../kafka/topics";
import { metrics } from "../observability/metrics";

// Messages that no provider can take right now (every provider on their route enabled but down, throttling without
// end) are parked in Postgres instead of holding their send partition: everyone else's messages behind them keep
// going. Their submission stays PENDING, so when a parked message comes back through its send topic it goes the
// normal way (and is never submitted twice: the submission record decides).

/** Parked messages are looked at again after this long at the earliest. */
export const PARK_RETRY_MS = 2_000;

export type ParkedSend = { message: RoutedMessage; topic: string; reason: string };

/** Parks messages (a message parked already keeps its first row). */
export async function parkSends(pool: Pool, parked: ParkedSend[]): Promise<void> {
  if (parked.length === 0) return;
  await pool.query(
    `INSERT INTO parked_sends (message_id, topic, payload, reason)
     SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::text[])
     ON CONFLICT (message_id) DO NOTHING`,
    [
      parked.map((p) => p.message.messageId),
      parked.map((p) => p.topic),
      parked.map((p) => JSON.stringify(p.message)),
      parked.map((p) => p.reason),
    ],
  );
  for (const p of parked) metrics.sendsParked.inc({ reason: p.reason });
}

/**
 * Puts parked messages back on their send topics where `ready` says so (their route has a provider again, or there
 * is nothing left to wait for), oldest first, at most `limit` per call; `topicPrefix` scopes the rows to this
 * deployment's topics. The rows go in the transaction that produced them: a crash in between puts a message back
 * twice, which its submission record makes harmless. Returns how many went back.
 */
export async function releaseParkedSends(
  deps: { pool: Pool; producer: VolleyProducer; topicPrefix: string },
  ready: (message: RoutedMessage, validUntil: Date | null) => boolean,
  limit = 1_000,
): Promise<number> {
  const client = await deps.pool.connect();
  try {
    await client.query("BEGIN");
    const { rows } = await client.query<{
      message_id: string;
      topic: string;
      payload: RoutedMessage;
      valid_until: Date | null;
    }>(
      `SELECT p.message_id, p.topic, p.payload, s.valid_until
       FROM parked_sends p LEFT JOIN submissions s ON s.message_id = p.message_id
       WHERE starts_with(p.topic, $1) AND p.parked_at < now() - make_interval(secs => $2::double precision / 1000)
       ORDER BY p.parked_at LIMIT $3
       FOR UPDATE OF p SKIP LOCKED`,
      [deps.topicPrefix, PARK_RETRY_MS, limit],
    );
    const release: typeof rows = [];
    const still: string[] = [];
    for (const r of rows) {
      if (ready(r.payload, r.valid_until)) release.push(r);
      else still.push(r.message_id);
    }
    const byTopic = new Map<string, RoutedMessage[]>();
    for (const r of release) {
      const messages = byTopic.get(r.topic);
      if (messages) messages.push(r.payload);
      else byTopic.set(r.topic, [r.payload]);
    }
    for (const [topic, messages] of byTopic) await deps.producer.sendPacked(topic, routedPacking, messages);
    if (release.length > 0) {
      await client.query("DELETE FROM parked_sends WHERE message_id = ANY($1::text[])", [
        release.map((r) => r.message_id),
      ]);
    }
    // The ones still waiting go to the back of the line: a long outage on one route must not keep the sweep from
    // ever reaching another route's parked messages.
    if (still.length > 0) {
      await client.query("UPDATE parked_sends SET parked_at = now() WHERE message_id = ANY($1::text[])", [still]);
    }
    await client.query("COMMIT");
    metrics.sendsUnparked.inc(release.length);
    return release.length;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
