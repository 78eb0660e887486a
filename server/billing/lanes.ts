import type { Redis } from "ioredis";
import type { Kafka } from "kafkajs";
import type { Logger } from "pino";
import { loadClientProfiles } from "../clients/profile";
import type { Db } from "../db";
import type { VolleyProducer } from "../kafka/client";
import { BULK_FETCH, startBatchConsumer, type ConsumedRecord, type FetchFill, type Rejected } from "../kafka/consumer";
import { handleEachItem, itemsIn } from "../kafka/packed";
import {
  routedMessageRecord,
  routedPacking,
  recordByMessageId,
  TOPICS,
  type MessageStatusEvent,
  type RoutedMessage,
  cdrPacking,
  statusPacking,
  type PackedCdrWire,
} from "../kafka/topics";
import type { StartedWorker, WorkerDeps } from "../worker/run-worker";
import { BalancesNotReady, reserve } from "./balance-gate";
import { destinationOf } from "./destination";
import { ensureBalancesReady } from "./rebuild";
import { startPollLoop } from "../worker/poll-loop";
import { pricePerSegment, RatePlanCache } from "./pricing";

export type Lane = "high" | "low";

const BALANCES_WATCHDOG_MS = 5_000;
export type BillingType = RoutedMessage["billingType"];

type LaneSpec = {
  source: TopicSpec;
  cdr: TopicSpec;
  send: TopicSpec;
  batch: number;
  concurrency: number;
  /** Low lanes only: a one-time code is not held back to fill a fetch. */
  fetchFill?: FetchFill;
  /** Why a message the gate does not cover ends REJECTED. */
  refusal: "INSUFFICIENT_BALANCE" | "CREDIT_LIMIT_EXCEEDED";
  /** Where a CDR lands once applied (reference `cdr:<message id>`): a replay found there passes as rated. */
  appliedIn: "ledger_entries" | "usage_records";
  /** Postpaid CDRs carry the recipient's region: invoices are itemised by destination. */
  hasDestination: boolean;
};
type TopicSpec = { name: string; dlq: string };

// One gate, four lanes. Prepaid: the gate's available is the balance; postpaid:
// the credit headroom (credit limit − unbilled usage); both minus reservations
// in flight (see balance-gate.ts), so the same script guards both.
export const LANES = {
  PREPAID: {
    high: {
      source: TOPICS.prepaidHigh,
      cdr: TOPICS.usageCdrHigh,
      send: TOPICS.sendHigh,
      batch: 200,
      concurrency: 3,
      refusal: "INSUFFICIENT_BALANCE",
      appliedIn: "ledger_entries",
      hasDestination: false,
    },
    low: {
      source: TOPICS.prepaidLowBulk,
      cdr: TOPICS.usageCdrLow,
      send: TOPICS.sendLow,
      batch: 2_000,
      concurrency: 2,
      fetchFill: BULK_FETCH,
      refusal: "INSUFFICIENT_BALANCE",
      appliedIn: "ledger_entries",
      hasDestination: false,
    },
  },
  POSTPAID: {
    high: {
      source: TOPICS.postpaidHigh,
      cdr: TOPICS.usageCdrPostpaid,
      send: TOPICS.sendHigh,
      batch: 200,
      concurrency: 3,
      refusal: "CREDIT_LIMIT_EXCEEDED",
      appliedIn: "usage_records",
      hasDestination: true,
    },
    low: {
      source: TOPICS.postpaid,
      cdr: TOPICS.usageCdrPostpaid,
      send: TOPICS.sendLow,
      batch: 2_000,
      concurrency: 2,
      fetchFill: BULK_FETCH,
      refusal: "CREDIT_LIMIT_EXCEEDED",
      appliedIn: "usage_records",
      hasDestination: true,
    },
  },
} as const satisfies Record<BillingType, Record<Lane, LaneSpec>>;

/** The worker (and consumer group) name of a lane: prepaid-high, postpaid-low, … */
export function laneName(billingType: BillingType, lane: Lane): string {
  return `${billingType === "PREPAID" ? "prepaid" : "postpaid"}-${lane}`;
}

export type LaneDeps = {
  db: Db;
  redis: Redis;
  kafka: Kafka;
  log: Logger;
  producer: VolleyProducer;
  topicPrefix: string;
  plans: RatePlanCache;
};
export type PrepaidDeps = LaneDeps;

/**
 * be-prepaid-* and be-postpaid-*: prices each message from its client's rate
 * plan, reserves the amount against the account's available figure in Redis
 * (prepaid: balance; postpaid: credit headroom), and for each reserved
 * message emits a usage CDR (applied to Postgres by prepaid-manager or
 * postpaid-manager) and passes the message on to delivery; a message the
 * gate does not cover ends REJECTED INSUFFICIENT_BALANCE (prepaid) or
 * CREDIT_LIMIT_EXCEEDED (postpaid). The CDR is on its topic before the
 * message goes to delivery, so nothing is sent unbilled.
 */
export async function rateBatch(
  deps: LaneDeps,
  billingType: BillingType,
  lane: Lane,
  records: ConsumedRecord<RoutedMessage>[],
  now = new Date(),
): Promise<Rejected<RoutedMessage>[]> {
  const spec: LaneSpec = LANES[billingType][lane];
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

  // A message whose CDR is already applied (a replay after its reservation
  // was settled) is not reserved again: it passes as charged / rated.
  const { rows: charged } = await deps.db.pool.query<{ reference: string }>(
    `SELECT reference FROM ${spec.appliedIn} WHERE reference = ANY($1::text[])`,
    [priced.map((p) => `cdr:${p.message.messageId}`)],
  );
  const alreadyCharged = new Set(charged.map((r) => r.reference.slice(4)));
  const toReserve = priced.filter((p) => !alreadyCharged.has(p.message.messageId));
  const requests = toReserve.map((p) => ({
    accountId: p.message.accountId,
    messageId: p.message.messageId,
    amount: p.amount,
    campaignId: p.message.campaignId,
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
  const cdrs: PackedCdrWire[] = [];
  const sends: RoutedMessage[] = [];
  const refused: MessageStatusEvent[] = [];
  priced.forEach((p, i) => {
    const m = p.message;
    if (reserved[i]) {
      cdrs.push({
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
        ...(spec.hasDestination ? { destination: destinationOf(m.recipient) } : {}),
      });
      sends.push(m);
    } else {
      refused.push({
        v: 1,
        messageId: m.messageId,
        status: "REJECTED",
        reason: spec.refusal,
        stage: laneName(billingType, lane),
        at: now.toISOString(),
      });
    }
  });
  await Promise.all([
    deps.producer.sendPacked(deps.topicPrefix + spec.cdr.name, cdrPacking(now.toISOString()), cdrs),
    deps.producer.sendPacked(deps.topicPrefix + TOPICS.messageStatus.name, statusPacking, refused),
  ]);
  await deps.producer.sendPacked(deps.topicPrefix + spec.send.name, routedPacking, sends);
  return rejected;
}

/** The prepaid gate of one priority: rateBatch on a prepaid lane. */
export function chargePrepaidBatch(
  deps: LaneDeps,
  lane: Lane,
  records: ConsumedRecord<RoutedMessage>[],
  now = new Date(),
): Promise<Rejected<RoutedMessage>[]> {
  return rateBatch(deps, "PREPAID", lane, records, now);
}

export function startPrepaidLane(lane: Lane) {
  return startLane("PREPAID", lane);
}

export function startPostpaidLane(lane: Lane) {
  return startLane("POSTPAID", lane);
}

function startLane(billingType: BillingType, lane: Lane) {
  return async ({ env, log, db, redis, kafka, producer }: WorkerDeps): Promise<StartedWorker> => {
    const spec: LaneSpec = LANES[billingType][lane];
    const plans = new RatePlanCache(db.pool);
    const rebuildDeps = { db, redis, kafka, log, topicPrefix: env.KAFKA_TOPIC_PREFIX };
    // Balances in Redis before the first message, so the first batch does not wait for a rebuild.
    await ensureBalancesReady(rebuildDeps);
    // Redis can lose its data while no traffic flows; the balance API, the
    // console and campaign holds need the gate's figures, so rebuild then too.
    const watchdog = startPollLoop({
      name: "balances-watchdog",
      intervalMs: BALANCES_WATCHDOG_MS,
      log,
      tick: async () => {
        await ensureBalancesReady(rebuildDeps);
        return false;
      },
    });
    const consumer = await startBatchConsumer({
      kafka,
      producer,
      log,
      groupId: env.KAFKA_TOPIC_PREFIX + laneName(billingType, lane),
      topic: env.KAFKA_TOPIC_PREFIX + spec.source.name,
      dlqTopic: env.KAFKA_TOPIC_PREFIX + spec.source.dlq,
      schema: routedMessageRecord,
      itemsIn,
      maxBatchSize: spec.batch,
      partitionsConsumedConcurrently: spec.concurrency,
      fetchFill: spec.fetchFill,
      handle: (records) =>
        handleEachItem(records, { item: recordByMessageId, wire: recordByMessageId }, (messages) =>
          rateBatch(
            { db, redis, kafka, log, producer, topicPrefix: env.KAFKA_TOPIC_PREFIX, plans },
            billingType,
            lane,
            messages,
          ),
        ),
    });
    return {
      stop: async () => {
        await watchdog.stop();
        await consumer.stop();
      },
    };
  };
}
