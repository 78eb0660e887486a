import { BULK_FETCH, startBatchConsumer, type FetchFill } from "../kafka/consumer";
import { handleEachItem, itemsIn } from "../kafka/packed";
import { routedMessageRecord, recordByMessageId, TOPICS } from "../kafka/topics";
import { startPollLoop } from "../worker/poll-loop";
import type { StartedWorker, WorkerDeps } from "../worker/run-worker";
import { processSendBatch, releaseParked, type BulkProcDeps, type Lane } from "./bulk-proc";
import { WriteFence } from "./fence";
import { expireUnconfirmed, expireUnreceipted } from "./expiry-sweep";
import { LanePriority } from "./lane-priority";
import { ProviderPool } from "./providers/pool";
import { ReceiptBatcher, retryParkedReceipts } from "./receipts";
import { InboundForwarder } from "../inbound/forward";
import { RoutingRuleCache } from "./routing";

// Two consumer groups, so a big campaign on send-low never delays a one-time code on send-high: small, concurrent
// batches for the high lane, large ones (and fetches the broker fills) for the low lane.
const LANES: Record<
  Lane,
  { topic: { name: string; dlq: string }; batch: number; concurrency: number; fetchFill?: FetchFill }
> = {
  high: { topic: TOPICS.sendHigh, batch: 200, concurrency: 3 },
  low: { topic: TOPICS.sendLow, batch: 1_000, concurrency: 2, fetchFill: BULK_FETCH },
};

const SWEEP_INTERVAL_MS = 2_000;

/** bulk-proc: send-high / send-low → providers (SMPP, HTTP) → SUBMITTED, then receipts → final statuses. */
export async function startBulkProc({ env, log, db, redis, kafka, producer }: WorkerDeps): Promise<StartedWorker> {
  const prefix = env.KAFKA_TOPIC_PREFIX;
  const receiptDeps = {
    db,
    redis,
    producer,
    topicPrefix: prefix,
    correlationTtlSeconds: env.DELIVERY_CORRELATION_TTL_SECONDS,
  };
  const receipts = new ReceiptBatcher(receiptDeps, log);
  const inbound = new InboundForwarder(producer, prefix, log);
  const providers = new ProviderPool({
    pool: db.pool,
    redis,
    log,
    topicPrefix: prefix,
    namePrefix: env.DELIVERY_PROVIDER_NAME_PREFIX,
    onReceipt: (providerId, receipt, settle) => receipts.add(providerId, receipt, settle),
    onInbound: (providerId, sms, settle) => inbound.add(providerId, sms, settle),
  });
  await providers.start();
  const deps: BulkProcDeps = {
    db,
    redis,
    producer,
    log,
    topicPrefix: prefix,
    providers,
    rules: new RoutingRuleCache(db.pool),
    priority: new LanePriority(),
    validitySeconds: env.DELIVERY_VALIDITY_SECONDS,
    correlationTtlSeconds: env.DELIVERY_CORRELATION_TTL_SECONDS,
    // A fence outlives its message's validity only by a margin: past validity the message expires, sent or not.
    fence: new WriteFence(redis, prefix, env.DELIVERY_VALIDITY_SECONDS + 3_600),
  };
  const sweep = startPollLoop({
    name: "delivery-sweep",
    intervalMs: SWEEP_INTERVAL_MS,
    log,
    tick: async () => {
      // Parked receipts first: one may be all that tells an UNCONFIRMED message past its validity was delivered.
      await retryParkedReceipts(receiptDeps);
      const expired = await expireUnconfirmed(receiptDeps);
      const unreceipted = await expireUnreceipted(receiptDeps, env.DELIVERY_RECEIPT_WAIT_SECONDS);
      const released = await releaseParked(deps);
      return expired >= 1_000 || unreceipted >= 1_000 || released >= 1_000;
    },
  });
  const consumers = await Promise.all(
    (Object.keys(LANES) as Lane[]).map((lane) =>
      startBatchConsumer({
        kafka,
        producer,
        log,
        groupId: `${prefix}bulk-proc-${lane}`,
        topic: prefix + LANES[lane].topic.name,
        dlqTopic: prefix + LANES[lane].topic.dlq,
        schema: routedMessageRecord,
        itemsIn,
        maxBatchSize: LANES[lane].batch,
        partitionsConsumedConcurrently: LANES[lane].concurrency,
        fetchFill: LANES[lane].fetchFill,
        handle: (records) =>
          handleEachItem(records, { item: recordByMessageId, wire: recordByMessageId }, (messages) =>
            processSendBatch(deps, lane, messages),
          ),
      }),
    ),
  );
  return {
    // Consumers first (their batches finish and commit), then the receipts and inbound messages received so far (handed on and answered
    // while the binds are up), then the binds (unbind after in-flight responses). A receipt that arrives during the
    // unbind cannot be answered any more: the carrier keeps it for the next bind.
    stop: async () => {
      await Promise.all(consumers.map((c) => c.stop()));
      await sweep.stop();
      await Promise.all([receipts.stop(), inbound.stop()]);
      await providers.stop();
      await Promise.all([receipts.stop(), inbound.stop()]);
    },
    checks: {
      providers: async () => ({ ok: providers.allBound(), detail: providers.allBound() ? undefined : "not bound" }),
      sweep: async () => ({ ok: sweep.isHealthy() }),
    },
  };
}
