import type { Redis } from "ioredis";
import type { Db } from "../db";
import { BULK_FETCH, startBatchConsumer, type ConsumedRecord, type Rejected } from "../kafka/consumer";
import { itemsIn } from "../kafka/packed";
import { TOPICS, usageCdrRecord, type UsageCdr, type UsageCdrRecord } from "../kafka/topics";
import { metrics } from "../observability/metrics";
import type { StartedWorker, WorkerDeps } from "../worker/run-worker";
import { startPollLoop } from "../worker/poll-loop";
import { publishBillingEvents, PUBLISH_BATCH } from "./billing-events";
import { applyCdrBatch } from "./cdr-batch";
import { deductBatch, type DeductResult } from "./deduct";

/** Redis copy of an account's Postgres balance, refreshed after every debit. */
export const settledKey = (accountId: string) => `account:${accountId}:settled`;

/**
 * The prepaid-manager: debits prepaid accounts from usage-cdr-low and
 * usage-cdr-high in one consumer group. CDRs are keyed by account, so one
 * account is debited by one consumer at a time; a batch is one Postgres
 * transaction, and its offsets are committed only after that transaction has.
 */
export async function startDeductionService({
  env,
  log,
  db,
  redis,
  kafka,
  producer,
}: WorkerDeps): Promise<StartedWorker> {
  const prefix = env.KAFKA_TOPIC_PREFIX;
  // kafkajs fetches again only once every partition of its last fetch is
  // handled: with one member the database idles while the next fetch arrives
  // and the worker waits on the slowest partition. Members of one process
  // overlap that; the process's partitions are shared out among them.
  const consumers = await Promise.all(
    Array.from({ length: env.DEDUCTION_CONSUMERS }, () =>
      startBatchConsumer({
        kafka,
        producer,
        log,
        groupId: `${prefix}prepaid-manager`,
        topics: [TOPICS.usageCdrLow, TOPICS.usageCdrHigh].map((t) => ({
          topic: prefix + t.name,
          dlqTopic: prefix + t.dlq,
        })),
        schema: usageCdrRecord,
        itemsIn,
        maxBatchSize: env.DEDUCTION_BATCH_SIZE,
        partitionsConsumedConcurrently: Math.ceil(env.DEDUCTION_CONCURRENCY / env.DEDUCTION_CONSUMERS),
        fetchFill: BULK_FETCH,
        handle: (records) => applyCdrs({ db, redis }, records),
      }),
    ),
  );
  // The billing_events outbox the debits fill (low-balance alerts) goes out from here too.
  const publisher = startPollLoop({
    name: "billing-events",
    intervalMs: env.POLL_INTERVAL_MS,
    log,
    tick: async () => (await publishBillingEvents({ db, producer, log, topicPrefix: prefix })) >= PUBLISH_BATCH,
  });
  return {
    stop: async () => {
      await Promise.all(consumers.map((c) => c.stop()));
      await publisher.stop();
    },
    checks: { billingEvents: async () => ({ ok: publisher.isHealthy() }) },
  };
}

/**
 * Debits one batch of CDRs and refreshes the settled snapshots in Redis (see
 * applyCdrBatch); returns the records that can never be charged (negative
 * amount, unknown account, wrong currency) for the dead-letter topic.
 */
export async function applyCdrs(
  deps: { db: Pick<Db, "pool">; redis: Redis },
  records: ConsumedRecord<UsageCdrRecord>[],
): Promise<Rejected<UsageCdrRecord>[]> {
  const stopTimer = metrics.deductionBatchSeconds.startTimer();
  const { result, cdrs, rejected } = await applyCdrBatch(deps.redis, records, async (cdrs) => {
    const debited = await deductBatch(deps.db, cdrs);
    await refreshSettled(deps.redis, debited.accounts);
    return debited;
  });
  countApplied(result, cdrs);
  stopTimer();
  return rejected;
}

const SETTLED_PER_MSET = 1_000;

/** `account:<id>:settled` = the balance Postgres committed, a thousand accounts per MSET. */
export async function refreshSettled(redis: Redis, accounts: DeductResult["accounts"]): Promise<void> {
  const writes: Promise<unknown>[] = [];
  for (let i = 0; i < accounts.length; i += SETTLED_PER_MSET) {
    const pairs: string[] = [];
    for (const a of accounts.slice(i, i + SETTLED_PER_MSET)) pairs.push(settledKey(a.accountId), a.balance.toString());
    writes.push(redis.mset(pairs));
  }
  await Promise.all(writes);
}

function countApplied(result: DeductResult, cdrs: UsageCdr[]): void {
  const currencyOf = new Map<string, string>();
  for (const c of cdrs) if (!currencyOf.has(c.accountId)) currencyOf.set(c.accountId, c.currency);
  const byCurrency = new Map<string, bigint>();
  let applied = 0;
  for (const a of result.applied) {
    applied += a.cdrs;
    const currency = currencyOf.get(a.accountId) ?? "XXX";
    byCurrency.set(currency, (byCurrency.get(currency) ?? 0n) + a.amount);
  }
  metrics.cdrsApplied.inc(applied);
  // A metric, not money of record: a double is exact far beyond any batch's total.
  for (const [currency, amount] of byCurrency) metrics.amountDebited.labels(currency).inc(Number(amount));
}
