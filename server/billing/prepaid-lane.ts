import type { Redis } from "ioredis";
import type { Kafka } from "kafkajs";
import type { Logger } from "pino";
import { loadClientProfiles } from "../clients/profile";
import type { Db } from "../db";
import type { VolleyProducer } from "../kafka/client";
import { startBatchConsumer, type ConsumedRecord, type Rejected } from "../kafka/consumer";
import {
  routedMessageV1,
  TOPICS,
  type MessageStatusEvent,
  type RoutedMessage,
  type UsageCdrWire,
} from "../kafka/topics";
import type { StartedWorker, WorkerDeps } from "../worker/run-worker";
import { BalancesNotReady, reserve } from "./balance-gate";
import { ensureBalancesReady } from "./rebuild";
import { pricePerSegment, RatePlanCache } from "./pricing";

export type Lane = "high" | "low";

const LANES = {
  high: { source: TOPICS.prepaidHigh, cdr: TOPICS.usageCdrHigh, send: TOPICS.sendHigh, batch: 200, concurrency: 3 },
  low: { source: TOPICS.prepaidLowBulk, cdr: TOPICS.usageCdrLow, send: TOPICS.sendLow, batch: 2_000, concurrency: 2 },
} as const;

export type PrepaidDeps = {
  db: Db;
  redis: Redis;
  kafka: Kafka;
  log: Logger;
  producer: VolleyProducer;
  topicPrefix: string;
  plans: RatePlanCache;
};

/**
 * be-prepaid-*: prices each message from its client's rate plan, reserves the
 * amount against the account's available balance in Redis, and for each
 * reserved message emits a usage CDR (the charge, applied to Postgres by the
 * deduction service) and passes the message on to delivery; a message the
 * balance does not cover ends REJECTED INSUFFICIENT_BALANCE. The CDR is on
 * its topic before the message goes to delivery, so nothing is sent unbilled.
 */
export async function chargePrepaidBatch(
  deps: PrepaidDeps,
  lane: Lane,
  records: ConsumedRecord<RoutedMessage>[],
  now = new Date(),
): Promise<Rejected<RoutedMessage>[]> {
  const messages = records.map((r) => r.value);
  const profiles = await loadClientProfiles(deps.redis, deps.db.pool, [...new Set(messages.map((m) => m.clientId))]);
  const plans = await deps.plans.get([...profiles.values()].map((p) => p.ratePlanId));
  const rejected: Rejected<RoutedMessage>[] = [];
  const priced: { message: RoutedMessage; unitPrice: bigint; amount: bigint; currency: string }[] = [];
  records.forEach((record) => {
    const m = record.value;
    const plan = plans.get(profiles.get(m.clientId)?.ratePlanId ?? "");
    if (!plan) return rejected.push({ record, error: `no rate plan for client ${m.clientId}` });
    const unitPrice = pricePerSegment(plan, m.category, m.recipient);
    priced.push({ message: m, unitPrice, amount: unitPrice * BigInt(m.segments), currency: plan.currency });
  });

  // A message whose charge is already in the ledger (a replay after its
  // reservation was settled) is not reserved again: it passes as charged.
  const { rows: charged } = await deps.db.pool.query<{ reference: string }>(
    "SELECT reference FROM ledger_entries WHERE reference = ANY($1::text[])",
    [priced.map((p) => `cdr:${p.message.messageId}`)],
  );
  const alreadyCharged = new Set(charged.map((r) => r.reference.slice(4)));
  const toReserve = priced.filter((p) => !alreadyCharged.has(p.message.messageId));
  const requests = toReserve.map((p) => ({
    accountId: p.message.accountId,
    messageId: p.message.messageId,
    amount: p.amount,
  }));
  let results: boolean[];
  try {
    results = await reserve(deps.redis, deps.db.pool, deps.topicPrefix, requests);
  } catch (err) {
    if (!(err instanceof BalancesNotReady)) throw err;
    // First start, or Redis lost its data: rebuild, then reserve.
    await ensureBalancesReady(deps);
    results = await reserve(deps.redis, deps.db.pool, deps.topicPrefix, requests);
  }
  const reservedIds = new Set(toReserve.filter((_, i) => results[i]).map((p) => p.message.messageId));
  const reserved = priced.map((p) => alreadyCharged.has(p.message.messageId) || reservedIds.has(p.message.messageId));
  const cdrs: UsageCdrWire[] = [];
  const sends: RoutedMessage[] = [];
  const refused: MessageStatusEvent[] = [];
  priced.forEach((p, i) => {
    const m = p.message;
    if (reserved[i]) {
      cdrs.push({
        v: 1,
        cdrId: m.messageId,
        messageId: m.messageId,
        accountId: m.accountId,
        clientId: m.clientId,
        campaignId: m.campaignId,
        category: m.category,
        recipient: m.recipient,
        segments: m.segments,
        unitPrice: p.unitPrice.toString(),
        amount: p.amount.toString(),
        currency: p.currency,
        at: now.toISOString(),
      });
      sends.push(m);
    } else {
      refused.push({
        v: 1,
        messageId: m.messageId,
        status: "REJECTED",
        reason: "INSUFFICIENT_BALANCE",
        stage: `prepaid-${lane}`,
        at: now.toISOString(),
      });
    }
  });
  const topics = LANES[lane];
  await Promise.all([
    deps.producer.send(
      deps.topicPrefix + topics.cdr.name,
      cdrs.map((c) => ({ key: c.accountId, value: JSON.stringify(c) })),
    ),
    deps.producer.send(
      deps.topicPrefix + TOPICS.messageStatus.name,
      refused.map((s) => ({ key: s.messageId, value: JSON.stringify(s) })),
    ),
  ]);
  await deps.producer.send(
    deps.topicPrefix + topics.send.name,
    sends.map((m) => ({ key: m.accountId, value: JSON.stringify(m) })),
  );
  return rejected;
}

export function startPrepaidLane(lane: Lane) {
  return async ({ env, log, db, redis, kafka, producer }: WorkerDeps): Promise<StartedWorker> => {
    const spec = LANES[lane];
    const plans = new RatePlanCache(db.pool);
    // Balances in Redis before the first message, so the first batch does not wait for a rebuild.
    await ensureBalancesReady({ db, redis, kafka, log, topicPrefix: env.KAFKA_TOPIC_PREFIX });
    const consumer = await startBatchConsumer({
      kafka,
      producer,
      log,
      groupId: `${env.KAFKA_TOPIC_PREFIX}prepaid-${lane}`,
      topic: env.KAFKA_TOPIC_PREFIX + spec.source.name,
      dlqTopic: env.KAFKA_TOPIC_PREFIX + spec.source.dlq,
      schema: routedMessageV1,
      maxBatchSize: spec.batch,
      partitionsConsumedConcurrently: spec.concurrency,
      handle: (records) =>
        chargePrepaidBatch(
          { db, redis, kafka, log, producer, topicPrefix: env.KAFKA_TOPIC_PREFIX, plans },
          lane,
          records,
        ),
    });
    return { stop: () => consumer.stop() };
  };
}
