import { EventEmitter } from "node:events";
import type { Consumer, Kafka, KafkaMessage } from "kafkajs";
import type { Logger } from "pino";
import type { z } from "zod";
import { metrics } from "../observability/metrics";
import type { VolleyProducer } from "./client";
import { isTransientError } from "./errors";
import { issuesText } from "./packed";
import { DLQ_HEADERS } from "./topics";

export type ConsumedRecord<T> = {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: T;
};

/**
 * A record the handler cannot process however often it is retried. A record
 * that carries several items (a packed v2 record, see packed.ts) can be rejected once per bad
 * item, each with the item alone as `deadLetter`: what goes to the dead-letter
 * topic instead of the whole record, whose other items were processed.
 */
export type Rejected<T> = { record: ConsumedRecord<T>; error: string; deadLetter?: { key: string; value: string } };

/** Returns the records to dead-letter (bad input), throws on transient failure. */
export type BatchHandler<T> = (records: ConsumedRecord<T>[]) => Promise<Rejected<T>[] | void>;

export type RunningConsumer = {
  /** Stops fetching, lets the in-flight chunk finish and commit, then disconnects. */
  stop(): Promise<void>;
};

/** A consumed topic and the dead-letter topic its poison records go to. */
export type TopicRoute = { topic: string; dlqTopic: string };

export type BatchConsumerOptions<T> = (
  | TopicRoute
  // Several topics in one group need one consumer: kafkajs's assigner hands
  // every member partitions of every topic the group subscribes to.
  | { topics: TopicRoute[] }
) & {
  kafka: Kafka;
  groupId: string;
  schema: z.ZodType<T>;
  producer: VolleyProducer;
  log: Logger;
  /** Records (or items, see itemsIn) handed to `handle` at once: small for OTP lanes, large for bulk. */
  maxBatchSize: number;
  /** How many items a record carries, for topics whose records carry several (packed v2 records): counted against maxBatchSize. */
  itemsIn?: (value: T) => number;
  partitionsConsumedConcurrently?: number;
  fromBeginning?: boolean;
  /** Fetched per partition at once (default 4 MiB): less for a stage whose chunks are small and whose memory is tight. */
  maxBytesPerPartition?: number;
  /** Attempts at a chunk failing for a non-transient reason before its records are tried one by one. */
  maxAttempts?: number;
  /** How long the broker may hold a fetch to fill it (default: answer as soon as one byte is there); see BULK_FETCH. */
  fetchFill?: FetchFill;
  /**
   * Records this consumer can tell from their headers alone it has nothing to do with: not decoded nor handled, only
   * committed past. For a consumer that wants a few of a topic's records (refunds, of message-status).
   */
  skip?: (message: KafkaMessage) => boolean;
  handle: BatchHandler<T>;
};

type Decoded<T> = { ok: true; record: ConsumedRecord<T> } | { ok: false; message: KafkaMessage; error: string };

export function decodeRecord<T>(
  schema: z.ZodType<T>,
  topic: string,
  partition: number,
  message: KafkaMessage,
): Decoded<T> {
  let json: unknown;
  try {
    json = JSON.parse(message.value?.toString("utf8") ?? "");
  } catch (err) {
    return { ok: false, message, error: `invalid JSON: ${(err as Error).message}` };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    return { ok: false, message, error: `schema: ${issuesText(parsed.error)}` };
  }
  return {
    ok: true,
    record: {
      topic,
      partition,
      offset: message.offset,
      key: message.key?.toString("utf8") ?? null,
      value: parsed.data,
    },
  };
}

// kafkajs redelivers a batch whose handler threw (it fetches again from the
// last resolved offset) only if the error is retriable by its rules: one
// marked `retriable: false` (a broker's refusal, e.g. a record too large) or a
// TypeError, RangeError… crashes the consumer for good, and the worker would
// sit there consuming nothing. Our handlers' failures always mean "try this
// chunk again" (handleWithAttempts counts the attempts and dead-letters), so
// they reach kafkajs as retriable.
const KAFKAJS_UNRECOVERABLE = new Set(["RangeError", "ReferenceError", "SyntaxError", "TypeError"]);

/** Rethrows a failure of a chunk's handling so that kafkajs redelivers the chunk instead of stopping the consumer. */
export function redeliver(err: unknown): never {
  if (
    err instanceof Error &&
    (err as { retriable?: boolean }).retriable !== false &&
    !KAFKAJS_UNRECOVERABLE.has(err.name)
  )
    throw err;
  const what = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  throw Object.assign(new Error(what), {
    name: "VolleyRedeliver",
    retriable: true,
  });
}

/**
 * Consumers kafkajs gave up on: a crash it does not restart (an error it deems
 * fatal outside our handlers) leaves a member that consumes nothing while the
 * process looks alive. A worker process exits on "fatal" (run-worker.ts), so
 * that its supervisor starts it again and the group rebalances.
 */
export const consumerFailures = new EventEmitter();

/** Reports a crash kafkajs will not restart from as "fatal" on consumerFailures. */
export function watchForFatalCrash(consumer: Pick<Consumer, "on" | "events">, groupId: string, log: Logger): void {
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (payload.restart) return;
    log.error({ err: payload.error, groupId }, "consumer crashed and kafkajs will not restart it");
    consumerFailures.emit("fatal", payload.error, groupId);
  });
}

const KAFKAJS_DEFAULT_MAX_BYTES = 10 * 1024 * 1024;

/** The broker answers a fetch once it holds minBytes for it, or after maxWaitMs. */
export type FetchFill = { minBytes: number; maxWaitMs: number };

/**
 * For stages nobody waits on message by message (refunds, status writes,
 * debits): a consumer that answers every fetch as soon as one byte is there
 * keeps up with its producers by fetching a few records at a time, and every
 * one of those small fetches costs the broker and the worker about as much as
 * a full one. Holding a fetch until it carries a quarter of a megabyte, or
 * 100 ms have passed, divides the fetches several times over at the cost of
 * at most 100 ms of latency.
 */
export const BULK_FETCH: FetchFill = { minBytes: 256 * 1024, maxWaitMs: 100 };

/** A group member with the settings every Volley consumer shares, connected and subscribed. */
async function connectGroupConsumer(
  kafka: Kafka,
  log: Logger,
  groupId: string,
  topics: string[],
  fromBeginning = true,
  maxBytesPerPartition = 4 * 1024 * 1024,
  partitionsConsumedConcurrently = 1,
  fetchFill?: FetchFill,
) {
  const consumer = kafka.consumer({
    groupId,
    ...(fetchFill && { minBytes: fetchFill.minBytes, maxWaitTimeInMs: fetchFill.maxWaitMs }),
    allowAutoTopicCreation: false,
    // A crashed instance's partitions move to the others after this long.
    sessionTimeout: 10_000,
    heartbeatInterval: 3_000,
    maxBytesPerPartition,
    // The broker fills a fetch partition by partition: under a smaller total
    // the first partitions take it all and the others wait for the next fetch,
    // which kafkajs sends only when every partition of this one is handled.
    maxBytes: Math.max(KAFKAJS_DEFAULT_MAX_BYTES, maxBytesPerPartition * partitionsConsumedConcurrently),
  });
  watchForFatalCrash(consumer, groupId, log);
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning });
  return consumer;
}

/**
 * Consumes one topic (or several) in batches. Offsets are resolved and committed only after
 * `handle` has returned (its writes are durable) and poison records are on the
 * dead-letter topic; a handler error redelivers the chunk, so handlers must be
 * idempotent.
 */
export async function startBatchConsumer<T>(opts: BatchConsumerOptions<T>): Promise<RunningConsumer> {
  const routes = "topics" in opts ? opts.topics : [{ topic: opts.topic, dlqTopic: opts.dlqTopic }];
  const dlqOf = new Map(routes.map((r) => [r.topic, r.dlqTopic]));
  const consumer = await connectGroupConsumer(
    opts.kafka,
    opts.log,
    opts.groupId,
    routes.map((r) => r.topic),
    opts.fromBeginning,
    opts.maxBytesPerPartition,
    opts.partitionsConsumedConcurrently,
    opts.fetchFill,
  );

  const maxAttempts = opts.maxAttempts ?? 3;
  const failures = new Map<string, number>();

  /**
   * A transient failure (database, Redis or Kafka unreachable) is thrown:
   * the chunk is redelivered with backoff for as long as it takes. Any other
   * failure is retried maxAttempts times, then the chunk is handled record
   * by record and the records that still fail are dead-lettered.
   */
  async function handleWithAttempts(
    records: ConsumedRecord<T>[],
    chunkKey: string,
    member: { isActive: () => boolean; heartbeat: () => Promise<void> },
  ): Promise<Rejected<T>[]> {
    try {
      const rejected = (await handleUntilNotTransient(records, chunkKey, member)) ?? [];
      failures.delete(chunkKey);
      return rejected;
    } catch (err) {
      if (isTransientError(err)) throw err;
      const attempts = (failures.get(chunkKey) ?? 0) + 1;
      failures.set(chunkKey, attempts);
      opts.log.warn({ err, chunk: chunkKey, attempts, maxAttempts }, "batch failed");
      if (attempts < maxAttempts) throw err;
      failures.delete(chunkKey);
    }
    const rejected: Rejected<T>[] = [];
    for (const record of records) {
      try {
        rejected.push(...((await handleUntilNotTransient([record], chunkKey, member)) ?? []));
      } catch (err) {
        if (isTransientError(err)) throw err;
        rejected.push({ record, error: `failed ${maxAttempts} times: ${(err as Error).message}` });
      }
    }
    return rejected;
  }

  /**
   * Waits out transient failures here, with backoff, heartbeating so the
   * partition stays ours: an infrastructure hiccup (a database failover, a
   * rebuild of the balances) should not look like an error to kafkajs, which
   * would log it loudly and restart the fetch. Gives up only when this member
   * loses the partition or stops, so the new owner redelivers the chunk.
   */
  async function handleUntilNotTransient(
    records: ConsumedRecord<T>[],
    chunkKey: string,
    member: { isActive: () => boolean; heartbeat: () => Promise<void> },
  ) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await opts.handle(records);
      } catch (err) {
        if (!isTransientError(err) || !member.isActive()) throw err;
        if (attempt === 1 || attempt % 10 === 0)
          opts.log.warn({ err: (err as Error).message, chunk: chunkKey, attempt }, "transient failure, retrying");
        metrics.transientRetries.labels(opts.groupId).inc();
        await new Promise((r) => setTimeout(r, Math.min(5_000, 100 * 2 ** Math.min(attempt - 1, 6))));
        await member.heartbeat();
      }
    }
  }

  await consumer.run({
    eachBatchAutoResolve: false,
    autoCommit: true,
    partitionsConsumedConcurrently: opts.partitionsConsumedConcurrently ?? 1,
    eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
      const member = { isActive: () => isRunning() && !isStale(), heartbeat };
      const consumed = metrics.recordsConsumed.labels(opts.groupId, batch.topic);
      const consumedItems = metrics.itemsConsumed.labels(opts.groupId, batch.topic);
      const deadLettered = metrics.recordsDeadLettered.labels(opts.groupId, batch.topic);
      const batchSeconds = metrics.batchSeconds.labels(opts.groupId, batch.topic);
      for (let next = 0; next < batch.messages.length;) {
        if (!isRunning() || isStale()) return;
        const stopTimer = batchSeconds.startTimer();
        const valid: ConsumedRecord<T>[] = [];
        const poison: { message: KafkaMessage; error: string; deadLetter?: Rejected<T>["deadLetter"] }[] = [];
        const byOffset = new Map<string, KafkaMessage>();
        // A chunk is maxBatchSize items: records, or what the records carry where they carry several.
        const from = next;
        let items = 0;
        for (; next < batch.messages.length && items < opts.maxBatchSize; next++) {
          const message = batch.messages[next]!;
          if (opts.skip?.(message)) continue;
          const decoded = decodeRecord(opts.schema, batch.topic, batch.partition, message);
          if (decoded.ok) {
            valid.push(decoded.record);
            byOffset.set(message.offset, message);
            items += opts.itemsIn?.(decoded.record.value) ?? 1;
          } else {
            poison.push(decoded);
            items++;
          }
        }
        const chunk = batch.messages.slice(from, next);
        if (valid.length > 0) {
          const rejected = await handleWithAttempts(
            valid,
            `${batch.topic}:${batch.partition}:${chunk[0]!.offset}`,
            member,
          ).catch(redeliver);
          for (const r of rejected)
            poison.push({ message: byOffset.get(r.record.offset)!, error: r.error, deadLetter: r.deadLetter });
        }
        if (poison.length > 0) {
          await opts.producer
            .send(
              dlqOf.get(batch.topic)!,
              poison.map(({ message, error, deadLetter }) => ({
                key: deadLetter?.key ?? message.key,
                value: deadLetter?.value ?? message.value ?? Buffer.alloc(0),
                headers: {
                  ...message.headers,
                  [DLQ_HEADERS.error]: error,
                  [DLQ_HEADERS.topic]: batch.topic,
                  [DLQ_HEADERS.partition]: String(batch.partition),
                  [DLQ_HEADERS.offset]: message.offset,
                  [DLQ_HEADERS.consumerGroup]: opts.groupId,
                  [DLQ_HEADERS.at]: new Date().toISOString(),
                },
              })),
            )
            .catch(redeliver);
          deadLettered.inc(poison.length);
          for (const p of poison) {
            opts.log.warn(
              { topic: batch.topic, partition: batch.partition, offset: p.message.offset, error: p.error },
              "dead-lettered record",
            );
          }
        }
        resolveOffset(chunk[chunk.length - 1]!.offset);
        await commitOffsetsIfNecessary();
        await heartbeat();
        consumed.inc(chunk.length);
        consumedItems.inc(items);
        stopTimer();
      }
    },
  });

  return {
    async stop() {
      await consumer.disconnect();
    },
  };
}

/** A record as it sits on the topic, undecoded: for stages that keep the bytes as they are. */
export type RawRecord = {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  /** Header values as UTF-8 text; a header sent more than once keeps every value. */
  headers: Record<string, string | string[]>;
  /** The record's timestamp (ms since the epoch, as text). */
  timestamp: string;
};

export type RawBatchConsumerOptions = {
  kafka: Kafka;
  groupId: string;
  topics: string[];
  log: Logger;
  maxBatchSize: number;
  partitionsConsumedConcurrently?: number;
  fromBeginning?: boolean;
  /** Throws on failure: the chunk is redelivered, so it must be idempotent. */
  handle: (records: RawRecord[]) => Promise<void>;
};

function rawHeaders(headers: KafkaMessage["headers"]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.map((v) => v.toString()) : value.toString();
  }
  return out;
}

/**
 * Consumes several topics in batches without decoding them. As with
 * startBatchConsumer, offsets are resolved and committed only after `handle`
 * has returned; there is no dead-letter path (nothing here can be malformed).
 */
export async function startRawBatchConsumer(opts: RawBatchConsumerOptions): Promise<RunningConsumer> {
  const consumer = await connectGroupConsumer(opts.kafka, opts.log, opts.groupId, opts.topics, opts.fromBeginning);

  await consumer.run({
    eachBatchAutoResolve: false,
    autoCommit: true,
    partitionsConsumedConcurrently: opts.partitionsConsumedConcurrently ?? 1,
    eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
      const consumed = metrics.recordsConsumed.labels(opts.groupId, batch.topic);
      const batchSeconds = metrics.batchSeconds.labels(opts.groupId, batch.topic);
      for (let i = 0; i < batch.messages.length; i += opts.maxBatchSize) {
        if (!isRunning() || isStale()) return;
        const chunk = batch.messages.slice(i, i + opts.maxBatchSize);
        const stopTimer = batchSeconds.startTimer();
        await opts
          .handle(
            chunk.map((message) => ({
              topic: batch.topic,
              partition: batch.partition,
              offset: message.offset,
              key: message.key ?? null,
              value: message.value ?? null,
              headers: rawHeaders(message.headers),
              timestamp: message.timestamp,
            })),
          )
          .catch(redeliver);
        resolveOffset(chunk[chunk.length - 1]!.offset);
        await commitOffsetsIfNecessary();
        await heartbeat();
        consumed.inc(chunk.length);
        stopTimer();
      }
    },
  });

  return {
    async stop() {
      await consumer.disconnect();
    },
  };
}
