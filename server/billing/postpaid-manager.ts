import type { Redis } from "ioredis";
import type { Db } from "../db";
import { BULK_FETCH, startBatchConsumer, type ConsumedRecord, type Rejected } from "../kafka/consumer";
import { itemsIn } from "../kafka/packed";
import { TOPICS, usageCdrRecord, type UsageCdrRecord } from "../kafka/topics";
import type { StartedWorker, WorkerDeps } from "../worker/run-worker";
import { applyCdrBatch } from "./cdr-batch";
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
    schema: usageCdrRecord,
    itemsIn,
    maxBatchSize: env.DEDUCTION_BATCH_SIZE,
    partitionsConsumedConcurrently: env.DEDUCTION_CONCURRENCY,
    fetchFill: BULK_FETCH,
    handle: (records) => applyUsageCdrs({ db, redis }, records),
  });
  return { stop: () => consumer.stop() };
}

/**
 * Applies one batch of postpaid CDRs to unbilled usage (see applyCdrBatch);
 * returns the records that can never be applied (negative amount, unknown or
 * prepaid account, wrong currency) for the dead-letter topic.
 */
export async function applyUsageCdrs(
  deps: { db: Pick<Db, "pool">; redis: Redis },
  records: ConsumedRecord<UsageCdrRecord>[],
): Promise<Rejected<UsageCdrRecord>[]> {
  return (await applyCdrBatch(deps.redis, records, (cdrs) => applyUsageBatch(deps.db, cdrs))).rejected;
}
