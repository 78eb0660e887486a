import type { Redis } from "ioredis";
import type { Db } from "../db";
import { startBatchConsumer, type ConsumedRecord, type Rejected } from "../kafka/consumer";
import { TOPICS, usageCdrV1, type UsageCdr } from "../kafka/topics";
import type { StartedWorker, WorkerDeps } from "../worker/run-worker";
import { settleReservations } from "./balance-gate";
import { applyUsageBatch } from "./postpaid-usage";

/**
 * The postpaid-manager: applies usage-cdr-postpaid to the accounts' unbilled
 * usage. CDRs are keyed by account, so one account is updated by one
 * consumer at a time; a batch is one Postgres transaction, and its offsets
 * are committed only after that transaction has. Batch size and partition
 * concurrency are the deduction service's (same shape of work).
 */
export async function startPostpaidManager({
  env,
  log,
  db,
  redis,
  kafka,
  producer,
}: WorkerDeps): Promise<StartedWorker> {
  const prefix = env.KAFKA_TOPIC_PREFIX;
  const consumer = await startBatchConsumer({
    kafka,
    producer,
    log,
    groupId: `${prefix}postpaid-manager`,
    topic: prefix + TOPICS.usageCdrPostpaid.name,
    dlqTopic: prefix + TOPICS.usageCdrPostpaid.dlq,
    schema: usageCdrV1,
    maxBatchSize: env.DEDUCTION_BATCH_SIZE,
    partitionsConsumedConcurrently: env.DEDUCTION_CONCURRENCY,
    handle: (records) => applyUsageCdrs({ db, redis }, records),
  });
  return { stop: () => consumer.stop() };
}

/**
 * Applies one batch of postpaid CDRs, then settles the gate's reservations
 * for them: unbilled usage and pending both moved, so the gate's headroom is
 * unchanged. Returns the records that can never be applied (negative amount,
 * unknown or prepaid account, wrong currency) for the dead-letter topic. A
 * failure after the commit (Redis away) redelivers the batch: the insert
 * replays as a no-op and the reservations are settled then.
 */
export async function applyUsageCdrs(
  deps: { db: Pick<Db, "pool">; redis: Redis },
  records: ConsumedRecord<UsageCdr>[],
): Promise<Rejected<UsageCdr>[]> {
  const rejected: Rejected<UsageCdr>[] = [];
  const cdrs: UsageCdr[] = [];
  for (const record of records) {
    if (record.value.amount < 0n) rejected.push({ record, error: `negative amount ${record.value.amount}` });
    else cdrs.push(record.value);
  }
  const result = await applyUsageBatch(deps.db, cdrs);
  const refusedIds = new Set(result.refused.map((r) => r.cdr.cdrId));
  await settleReservations(deps.redis, refusedIds.size > 0 ? cdrs.filter((c) => !refusedIds.has(c.cdrId)) : cdrs);
  if (result.refused.length > 0) {
    const reasons = new Map(result.refused.map((r) => [r.cdr.cdrId, r.reason]));
    for (const record of records) {
      const reason = reasons.get(record.value.cdrId);
      if (reason) rejected.push({ record, error: reason });
    }
  }
  return rejected;
}
