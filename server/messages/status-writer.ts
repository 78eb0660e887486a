import type { Redis } from "ioredis";
import type { PoolClient } from "pg";
import type { MessageStatus } from "@prisma/client";
import { mirrorCounts, type CounterRow } from "../campaigns/counters";
import { completeFinishedCampaigns } from "../campaigns/completion";
import { publishCampaignState } from "../campaigns/state";
import type { Db } from "../db";
import type { ConsumedRecord, Rejected } from "../kafka/consumer";
import type { MessageStatusEvent, MessageStatusValue } from "../kafka/topics";
import { metrics } from "../observability/metrics";
import { isFinal, statusRank, statusRankSql } from "./status";

/**
 * Persists a batch of status events in one transaction: new messages in one
 * multi-row insert, transitions in one multi-row update (forward only, which
 * returns where each message came from), and the per-campaign counters by the
 * difference; then copies the counters to Redis and completes campaigns whose
 * every message is final. A replayed batch finds every transition already
 * made and changes nothing.
 */
export async function writeStatusBatch(
  deps: { db: Db; redis: Redis },
  records: ConsumedRecord<MessageStatusEvent>[],
): Promise<Rejected<MessageStatusEvent>[]> {
  // In id order: two writers on the same messages (a rebalance, or a redelivery beside the original) then take their
  // rows in the same order and wait for each other instead of deadlocking.
  const events = [...reduceToLatest(records).values()].sort((a, b) =>
    a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0,
  );
  const client = await deps.db.pool.connect();
  let counters: CounterRow[] = [];
  let completed: string[] = [];
  const rejected: Rejected<MessageStatusEvent>[] = [];
  try {
    await client.query("BEGIN");
    const delta = new Map<string, number>();
    const bump = (campaignId: string | null, status: string, by: number) => {
      if (!campaignId) return;
      const key = `${campaignId}\u0000${status}`;
      delta.set(key, (delta.get(key) ?? 0) + by);
    };
    // An event with content inserts its message unless it exists. Then every event moves its message, if that is a
    // step forward: one just inserted is where its event put it, so only the others move.
    const inserted = await insertMessages(
      client,
      events.filter((e) => e.content),
    );
    let written = 0;
    for (const c of inserted) {
      bump(c.campaignId, c.status, c.count);
      written += c.count;
    }
    for (const m of await updateMessages(client, events)) {
      bump(m.campaignId, m.from, -m.count);
      bump(m.campaignId, m.status, m.count);
      written += m.count;
    }
    // Some changed nothing: already as far (a replay, a late event) or, without content, a message nobody inserted.
    if (written < events.length) {
      const unknown = await unknownMessages(
        client,
        events.filter((e) => !e.content).map((e) => e.messageId),
      );
      for (const e of events) {
        if (!unknown.has(e.messageId)) continue;
        rejected.push({
          record: e.record,
          error: `status ${e.status} for unknown message ${e.messageId} carries no content`,
        });
      }
    }
    counters = await applyCounterDelta(client, delta);
    completed = await completeFinishedCampaigns(client, unique(counters.map((c) => c.campaignId)));
    await client.query("COMMIT");
    metrics.statusesWritten.inc(written);
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
  await mirrorCounts(deps.redis, counters);
  for (const id of completed) await publishCampaignState(deps.redis, id, "COMPLETED");
  return rejected;
}

/**
 * Per message, the most advanced event in the batch, keeping what earlier
 * events carried that it lacks (content, provider id, when it was submitted).
 * One object of one shape per message, merged in place: spreading each
 * decoded event into a new object was the writer's hottest function.
 */
function reduceToLatest(records: ConsumedRecord<MessageStatusEvent>[]) {
  const latest = new Map<string, Reduced>();
  for (const record of records) {
    const e = record.value;
    const seen = latest.get(e.messageId);
    if (!seen) {
      latest.set(e.messageId, {
        messageId: e.messageId,
        status: e.status,
        reason: e.reason,
        at: e.at,
        providerMessageId: e.providerMessageId ?? null,
        content: e.content ?? null,
        submittedAt: e.status === "SUBMITTED" ? e.at : null,
        record,
      });
      continue;
    }
    if (statusRank(e.status) > statusRank(seen.status)) {
      seen.status = e.status;
      seen.reason = e.reason;
      seen.at = e.at;
      seen.providerMessageId = e.providerMessageId ?? seen.providerMessageId;
    } else {
      seen.providerMessageId ??= e.providerMessageId ?? null;
    }
    seen.content ??= e.content ?? null;
    seen.submittedAt ??= e.status === "SUBMITTED" ? e.at : null;
    seen.record = record;
  }
  return latest;
}

type Reduced = {
  messageId: string;
  status: MessageStatusValue;
  reason: string | null;
  at: string;
  providerMessageId: string | null;
  content: NonNullable<MessageStatusEvent["content"]> | null;
  submittedAt: string | null;
  /** The last record of the message in the batch: the one a rejection names. */
  record: ConsumedRecord<MessageStatusEvent>;
};

async function insertMessages(client: PoolClient, events: Reduced[]) {
  if (events.length === 0) return [];
  const c = events.map((e) => e.content!);
  // Counted per campaign and status by Postgres: the counters need no more, and a row back per message was most of
  // what the writer kept alive across young-generation collections.
  const { rows } = await client.query<{ campaign_id: string | null; status: string; count: number }>(
    `WITH inserted AS (
     INSERT INTO messages (id, client_id, campaign_id, recipient, sender, body, category, segments, encoding,
                           status, status_reason, provider_message_id, created_at, updated_at, submitted_at, final_at)
     SELECT id, client_id, campaign_id, recipient, sender, body, category, segments, encoding, status, reason, pmid,
            at, at, submitted_at, CASE WHEN is_final THEN at END
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::"MessageCategory"[],
                 $8::int[], $9::text[], $10::"MessageStatus"[], $11::text[], $12::text[], $13::timestamptz[], $14::bool[],
                 $15::timestamptz[])
          AS t(id, client_id, campaign_id, recipient, sender, body, category, segments, encoding, status, reason, pmid, at,
               is_final, submitted_at)
     ON CONFLICT (id) DO NOTHING
     RETURNING campaign_id, status)
     SELECT campaign_id, status, count(*)::int AS count FROM inserted GROUP BY campaign_id, status`,
    [
      events.map((e) => e.messageId),
      c.map((x) => x.clientId),
      c.map((x) => x.campaignId),
      c.map((x) => x.recipient),
      c.map((x) => x.sender),
      c.map((x) => x.body),
      c.map((x) => x.category),
      c.map((x) => x.segments),
      c.map((x) => x.encoding),
      events.map((e) => e.status),
      events.map((e) => e.reason),
      events.map((e) => e.providerMessageId),
      events.map((e) => e.at),
      events.map((e) => isFinal(e.status)),
      events.map((e) => e.submittedAt),
    ],
  );
  return rows.map((r) => ({ campaignId: r.campaign_id, status: r.status, count: r.count }));
}

/**
 * Moves each message forward to its event's status, where that is a step forward from the stored one (decided on
 * the row as the update finds it, under its lock), and returns how many moved per campaign, from-status and status.
 */
async function updateMessages(client: PoolClient, events: Reduced[]) {
  if (events.length === 0) return [];
  const { rows } = await client.query<{ campaign_id: string | null; from: string; status: string; count: number }>(
    `WITH moved AS (
     UPDATE messages m SET
       prev_status = m.status,
       status = u.status, status_reason = u.reason, updated_at = u.at,
       provider_message_id = COALESCE(u.pmid, m.provider_message_id),
       submitted_at = COALESCE(m.submitted_at, u.submitted_at),
       final_at = CASE WHEN u.is_final THEN u.at ELSE m.final_at END,
       recipient = COALESCE(u.recipient, m.recipient), body = COALESCE(u.body, m.body),
       segments = COALESCE(u.segments, m.segments), encoding = COALESCE(u.encoding, m.encoding)
     FROM unnest($1::text[], $2::"MessageStatus"[], $3::text[], $4::text[], $5::timestamptz[], $6::bool[],
                 $7::text[], $8::text[], $9::int[], $10::text[], $11::timestamptz[], $12::int[])
          AS u(id, status, reason, pmid, at, is_final, recipient, body, segments, encoding, submitted_at, rank)
     WHERE m.id = u.id AND ${STORED_RANK} < u.rank
     RETURNING m.campaign_id, m.prev_status, m.status)
     SELECT campaign_id, prev_status AS from, status, count(*)::int AS count FROM moved
     GROUP BY campaign_id, prev_status, status`,
    [
      events.map((e) => e.messageId),
      events.map((e) => e.status),
      events.map((e) => e.reason),
      events.map((e) => e.providerMessageId),
      events.map((e) => e.at),
      events.map((e) => isFinal(e.status)),
      // A deferred message is re-validated on release: its final content wins.
      events.map((e) => e.content?.recipient ?? null),
      events.map((e) => e.content?.body ?? null),
      events.map((e) => e.content?.segments ?? null),
      events.map((e) => e.content?.encoding ?? null),
      events.map((e) => e.submittedAt),
      events.map((e) => statusRank(e.status)),
    ],
  );
  return rows.map((r) => ({ campaignId: r.campaign_id, from: r.from, status: r.status, count: r.count }));
}

const STORED_RANK = statusRankSql("m.status");

/** Of these ids, those no message has. */
async function unknownMessages(client: PoolClient, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const { rows } = await client.query<{ id: string }>(
    `SELECT u.id FROM unnest($1::text[]) AS u(id) WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = u.id)`,
    [ids],
  );
  return new Set(rows.map((r) => r.id));
}

async function applyCounterDelta(client: PoolClient, delta: Map<string, number>) {
  // Sorted keys: concurrent writers lock counter rows in the same order.
  const entries = [...delta].filter(([, n]) => n !== 0).sort(([a], [b]) => (a < b ? -1 : 1));
  if (entries.length === 0) return [];
  const keys = entries.map(([k]) => k.split("\u0000") as [string, MessageStatus]);
  const { rows } = await client.query<{ campaign_id: string; status: MessageStatus; count: number; version: number }>(
    `INSERT INTO campaign_counters (campaign_id, status, count)
     SELECT * FROM unnest($1::text[], $2::"MessageStatus"[], $3::int[])
     ON CONFLICT (campaign_id, status) DO UPDATE
       SET count = campaign_counters.count + EXCLUDED.count, version = campaign_counters.version + 1
     RETURNING campaign_id, status, count, version`,
    [keys.map((k) => k[0]), keys.map((k) => k[1]), entries.map(([, n]) => n)],
  );
  return rows.map((r) => ({ campaignId: r.campaign_id, status: r.status, count: r.count, version: r.version }));
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}
