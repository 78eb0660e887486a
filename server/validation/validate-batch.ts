import type { Redis } from "ioredis";
import { loadClientProfiles } from "../clients/profile";
import { campaignStates } from "../campaigns/state";
import type { Db } from "../db";
import type { VolleyProducer } from "../kafka/client";
import type { ConsumedRecord, Rejected } from "../kafka/consumer";
import {
  routedPacking,
  statusPacking,
  TOPICS,
  type BulkMessage,
  type MessageStatusEvent,
  type RoutedMessage,
  type TopicKey,
} from "../kafka/topics";
import { metrics } from "../observability/metrics";
import { findOptedOut } from "../optouts/store";
import { decide, precheck, type Decision } from "./decide";
import { findDuplicates } from "./dedupe";

export type ValidatorDeps = { db: Db; redis: Redis; producer: VolleyProducer; topicPrefix: string };

/**
 * Validates a consumed batch with a handful of round trips for the whole
 * batch (profiles, campaign states, opt-outs, duplicates), then applies the
 * outcomes: deferred rows, status events, routed messages — in that order,
 * so a message's first status is on message-status before any later stage
 * can report on it. Every effect is idempotent, so a redelivered batch
 * changes nothing.
 */
export async function validateBatch(
  deps: ValidatorDeps,
  records: ConsumedRecord<BulkMessage>[],
  now = new Date(),
): Promise<Rejected<BulkMessage>[]> {
  const messages = records.map((r) => r.value);
  const [profiles, states] = await Promise.all([
    loadClientProfiles(deps.redis, deps.db.pool, unique(messages.map((m) => m.clientId))),
    campaignStates(deps.redis, deps.db.pool, unique(messages.flatMap((m) => (m.campaignId ? [m.campaignId] : [])))),
  ]);

  const decisions = new Array<Decision>(messages.length);
  const pending: { index: number; e164: string }[] = [];
  messages.forEach((m, index) => {
    const first = precheck(
      m,
      { profile: profiles.get(m.clientId), campaignStatus: m.campaignId ? states.get(m.campaignId) : undefined },
      now,
    );
    if (first.kind === "done") decisions[index] = first.decision;
    else pending.push({ index, e164: first.e164 });
  });

  const optedOut = new Map<string, Set<string>>();
  for (const clientId of unique(pending.map((p) => messages[p.index]!.clientId))) {
    const numbers = unique(pending.filter((p) => messages[p.index]!.clientId === clientId).map((p) => p.e164));
    optedOut.set(clientId, await findOptedOut(deps.db, deps.redis, clientId, numbers));
  }
  const duplicates = await findDuplicates(
    deps.redis,
    pending
      .filter((p) => messages[p.index]!.campaignId && !optedOut.get(messages[p.index]!.clientId)!.has(p.e164))
      .map((p) => ({
        campaignId: messages[p.index]!.campaignId!,
        recipient: p.e164,
        messageId: messages[p.index]!.messageId,
      })),
  );
  for (const { index, e164 } of pending) {
    const m = messages[index]!;
    decisions[index] = decide(
      m,
      profiles.get(m.clientId)!,
      e164,
      { isOptedOut: optedOut.get(m.clientId)!.has(e164), isDuplicate: duplicates.has(m.messageId) },
      now,
    );
  }

  const deadLetters: Rejected<BulkMessage>[] = [];
  const statuses: MessageStatusEvent[] = [];
  const deferred: { message: BulkMessage; releaseAt: Date | null; reason: string }[] = [];
  const routed = new Map<TopicKey, RoutedMessage[]>();
  decisions.forEach((d, i) => {
    if (d.kind === "dead-letter") return deadLetters.push({ record: records[i]!, error: d.error });
    statuses.push(d.status);
    if (d.kind === "defer")
      deferred.push({ message: messages[i]!, releaseAt: d.releaseAt, reason: d.status.reason ?? "" });
    if (d.kind === "route") {
      const list = routed.get(d.topic);
      if (list) list.push(d.routed);
      else routed.set(d.topic, [d.routed]);
    }
  });

  await insertDeferred(deps.db, deferred);
  await deps.producer.sendPacked(deps.topicPrefix + TOPICS.messageStatus.name, statusPacking, statuses);
  await Promise.all(
    [...routed].map(([topic, list]) =>
      deps.producer.sendPacked(deps.topicPrefix + TOPICS[topic].name, routedPacking, list),
    ),
  );
  for (const s of statuses) metrics.validatorOutcomes.labels(s.status, s.reason ?? "").inc();
  return deadLetters;
}

async function insertDeferred(db: Db, rows: { message: BulkMessage; releaseAt: Date | null; reason: string }[]) {
  if (rows.length === 0) return;
  await db.pool.query(
    `INSERT INTO deferred_messages (message_id, campaign_id, release_at, reason, payload)
     SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::jsonb[])
     ON CONFLICT (message_id) DO UPDATE SET release_at = EXCLUDED.release_at, reason = EXCLUDED.reason`,
    [
      rows.map((r) => r.message.messageId),
      rows.map((r) => r.message.campaignId),
      rows.map((r) => r.releaseAt),
      rows.map((r) => r.reason),
      rows.map((r) => JSON.stringify(r.message)),
    ],
  );
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}
