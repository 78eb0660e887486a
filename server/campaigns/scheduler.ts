import { releaseEndedCampaignHolds } from "../billing/holds";
import type { Redis } from "ioredis";
import type { Db } from "../db";
import type { VolleyProducer } from "../kafka/client";
import { bulkPacking, TOPICS, type BulkMessage } from "../kafka/topics";
import { startDueCampaigns } from "./service";

const RELEASE_BATCH = 1_000;

/** Starts scheduled campaigns whose time has come. */
export { startDueCampaigns };

/**
 * Puts due deferred messages (quiet hours over, campaign resumed or
 * cancelled) back on bulk-topic. Rows are deleted in the same transaction
 * that held them, after Kafka acknowledged them: a crash in between
 * republishes, which the idempotent stages absorb.
 */
export async function releaseDueMessages(
  deps: { db: Db; producer: VolleyProducer; topicPrefix: string },
  now = new Date(),
): Promise<number> {
  const client = await deps.db.pool.connect();
  try {
    await client.query("BEGIN");
    const { rows } = await client.query<{ message_id: string; payload: BulkMessage }>(
      `SELECT message_id, payload FROM deferred_messages WHERE release_at <= $1
       ORDER BY release_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [now, RELEASE_BATCH],
    );
    if (rows.length > 0) {
      await deps.producer.sendPacked(
        deps.topicPrefix + TOPICS.bulk.name,
        bulkPacking,
        rows.map((r) => r.payload),
      );
      await client.query("DELETE FROM deferred_messages WHERE message_id = ANY($1::text[])", [
        rows.map((r) => r.message_id),
      ]);
    }
    await client.query("COMMIT");
    return rows.length;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

export async function runSchedulerTick(deps: { db: Db; redis: Redis; producer: VolleyProducer; topicPrefix: string }) {
  const started = await startDueCampaigns(deps);
  const released = await releaseDueMessages(deps);
  await releaseEndedCampaignHolds({ ...deps, namespace: deps.topicPrefix });
  return { started, released };
}
