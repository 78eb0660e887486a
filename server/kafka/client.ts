import { Kafka, logLevel, type Admin, type Producer, type IHeaders } from "kafkajs";
import type { Logger } from "pino";
import { defaultPartitioner, partitionOfKey } from "./partitioner";
import "./request-queue-fix";
import { allTopicNames, partitionsFor } from "./topics";

// kafkajs stays behind this folder: swapping the client touches nothing else.

export type KafkaConfig = {
  brokers: string[];
  clientId: string;
  topicPrefix: string;
  defaultPartitions: number;
  partitionOverrides: Record<string, number>;
};

export type OutgoingRecord = {
  key: string | Buffer | null;
  value: string | Buffer;
  headers?: IHeaders;
  /** Set only where the key alone does not say it (packed records). */
  partition?: number;
};

export function createKafka(config: KafkaConfig, log: Logger): Kafka {
  return new Kafka({
    clientId: config.clientId,
    brokers: config.brokers,
    logLevel: logLevel.WARN,
    retry: { initialRetryTime: 200, retries: 8 },
    logCreator:
      () =>
      ({ level, log: entry }) => {
        const { message, ...rest } = entry;
        log[pinoLevelOf(level, rest)]({ kafka: rest }, message);
      },
  });
}

// Broker answers kafkajs logs as errors although kafkajs handles them itself. At error level they would page someone
// on every deploy:
// - a group rebalance: every member that joins or leaves makes the others rejoin, and kafkajs does so by itself;
// - topic creation errors: workers starting together all create the missing topics, and all but one are told they
//   exist already, which kafkajs's createTopics takes as done; any other creation error it throws, and the caller of
//   ensureTopics reports that;
// - a partition without a leader yet (new topics, a broker restarting): kafkajs refreshes its metadata and retries;
//   kept at warn, since one that never gets a leader shows here first (kafkajs throws once its retries run out, and
//   the worker reports that as an error).
const ROUTINE_BROKER_ANSWERS = new Map<string, "info" | "warn">([
  ["The group is rebalancing, so a rejoin is needed", "info"],
  ["Topic creation errors", "info"],
  ["This server is not the leader for that topic-partition", "warn"],
  ["There is no leader for this topic-partition as we are in the middle of a leadership election", "warn"],
]);

/** The pino level of a kafkajs log entry. */
export function pinoLevelOf(level: logLevel, entry: Record<string, unknown>): "error" | "warn" | "info" | "debug" {
  const routine = typeof entry.error === "string" ? ROUTINE_BROKER_ANSWERS.get(entry.error) : undefined;
  if (routine) return routine;
  return level === logLevel.ERROR ? "error" : level === logLevel.WARN ? "warn" : "debug";
}

/** Creates every declared topic that does not exist yet (idempotent). */
export async function ensureTopics(kafka: Kafka, config: KafkaConfig): Promise<string[]> {
  const admin: Admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = allTopicNames(config.topicPrefix).filter((t) => !existing.has(t));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({
          topic,
          numPartitions: partitionsFor(topic, {
            prefix: config.topicPrefix,
            defaultPartitions: config.defaultPartitions,
            overrides: config.partitionOverrides,
          }),
          replicationFactor: -1,
        })),
      });
    }
    return missing;
  } finally {
    await admin.disconnect();
  }
}

export type VolleyProducer = {
  /** Sends and waits for all in-sync replicas (acks -1). */
  send(topic: string, records: OutgoingRecord[]): Promise<void>;
  /**
   * Sends keyed items packed: the items whose keys hash to one partition go
   * together, `maxPerRecord` at most per record (and a bounded size, see
   * packedRequests), to the partition a record keyed by any one of them would
   * go to (so keyed order and keyed ownership hold as if each were its own
   * record); each record is keyed by its first item.
   */
  sendPacked<T>(topic: string, packing: Packing<T>, items: T[]): Promise<void>;
  disconnect(): Promise<void>;
};

export type Packing<T> = {
  keyOf: (item: T) => string;
  /** The record value carrying these items (all bound for one partition). */
  pack: (items: T[]) => string;
  maxPerRecord: number;
  /** Headers of the record carrying these items: what a consumer may decide on without decoding it. */
  headersOf?: (items: T[]) => Record<string, string>;
};

// A topic's partition count, looked up again after this long: partitions can
// be added to a live topic (keyed placement then moves, for every producer alike).
const PARTITION_COUNT_TTL_MS = 60_000;

/** The items bound for each partition, by the default partitioner (murmur2 of the key, Java-compatible). */
export function groupByPartition<T>(items: T[], keyOf: (item: T) => string, partitions: number): Map<number, T[]> {
  const byPartition = new Map<number, T[]>();
  for (const item of items) {
    const partition = partitionOfKey(keyOf(item), partitions);
    const list = byPartition.get(partition);
    if (list) list.push(item);
    else byPartition.set(partition, [item]);
  }
  return byPartition;
}

// A broker refuses a partition's record batch past message.max.bytes (1 MiB
// by default), and kafkajs puts every record one request sends to a partition
// in one batch: packed records and each request's share of a partition stay
// well under it, whatever the items weigh.
export const MAX_PACKED_RECORD_BYTES = 384 * 1024;
export const MAX_PARTITION_BYTES_PER_REQUEST = 800 * 1024;

/**
 * The produce requests that carry `items` packed (see VolleyProducer.sendPacked): records of at most
 * `maxPerRecord` items and MAX_PACKED_RECORD_BYTES (an item heavier than that goes alone), each request at most
 * MAX_PARTITION_BYTES_PER_REQUEST per partition. A partition's records are in item order across the requests.
 */
export function packedRequests<T>(items: T[], packing: Packing<T>, partitions: number): OutgoingRecord[][] {
  const requests: { records: OutgoingRecord[]; bytes: Map<number, number> }[] = [];
  for (const [partition, bound] of groupByPartition(items, packing.keyOf, partitions)) {
    // Requests this partition is in, from the last one it used on (so its records stay in order).
    let request = 0;
    const place = (chunk: T[]) => {
      // Encoded once, here: the producer sends the bytes as they are (a string would be encoded again).
      const value = Buffer.from(packing.pack(chunk));
      const size = value.length;
      if (size > MAX_PACKED_RECORD_BYTES && chunk.length > 1) {
        const half = Math.ceil(chunk.length / 2);
        place(chunk.slice(0, half));
        place(chunk.slice(half));
        return;
      }
      for (; ; request++) {
        const r = (requests[request] ??= { records: [], bytes: new Map() });
        const used = r.bytes.get(partition) ?? 0;
        if (used > 0 && used + size > MAX_PARTITION_BYTES_PER_REQUEST) continue;
        r.records.push({
          key: packing.keyOf(chunk[0]!),
          value,
          partition,
          ...(packing.headersOf && { headers: packing.headersOf(chunk) }),
        });
        r.bytes.set(partition, used + size);
        return;
      }
    };
    const perRecord = itemsPerRecord(bound, packing);
    for (let i = 0; i < bound.length; i += perRecord) place(bound.slice(i, i + perRecord));
  }
  return requests.map((r) => r.records);
}

/** Items of `bound` weighed to estimate a record's worth. */
const WEIGHED_ITEMS = 8;

/**
 * How many of these items to put in a record: as many as fit MAX_PACKED_RECORD_BYTES with room to spare, by the
 * weight of a few of them (up to maxPerRecord). Without it a full record of ordinary messages (1,000 routed
 * messages are ~450 KB) was packed, found too heavy, and packed again in halves: every item stringified twice.
 * A chunk the estimate gets wrong is still split by `place`.
 */
function itemsPerRecord<T>(bound: T[], packing: Packing<T>): number {
  if (bound.length <= 1) return packing.maxPerRecord;
  const step = Math.max(1, Math.floor(bound.length / WEIGHED_ITEMS));
  let bytes = 0;
  let weighed = 0;
  for (let i = 0; i < bound.length && weighed < WEIGHED_ITEMS; i += step, weighed++)
    bytes += Buffer.byteLength(JSON.stringify(bound[i]) ?? "");
  const fit = Math.floor((MAX_PACKED_RECORD_BYTES * 0.85) / Math.max(1, bytes / weighed));
  return Math.max(1, Math.min(packing.maxPerRecord, fit));
}

/**
 * Unpacked records split into requests of at most MAX_PARTITION_BYTES_PER_REQUEST in all (whatever partitions they
 * go to), in order: a big batch of dead letters or of one-record-per-item sends must not be refused whole.
 */
export function requestsOf(records: OutgoingRecord[]): OutgoingRecord[][] {
  const requests: OutgoingRecord[][] = [];
  let current: OutgoingRecord[] = [];
  let bytes = 0;
  for (const record of records) {
    const size = Buffer.byteLength(record.value) + (record.key ? Buffer.byteLength(record.key) : 0);
    if (current.length > 0 && bytes + size > MAX_PARTITION_BYTES_PER_REQUEST) {
      requests.push(current);
      current = [];
      bytes = 0;
    }
    current.push(record);
    bytes += size;
  }
  if (current.length > 0) requests.push(current);
  return requests;
}

export async function createProducer(kafka: Kafka): Promise<VolleyProducer> {
  // The default (murmur2, Java-compatible) partitioner: a key lands on the
  // same partition whichever client produced it.
  const producer: Producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: defaultPartitioner,
  });
  await producer.connect();
  // Concurrent first sends share one admin connection and one lookup per topic.
  let admin: Promise<Admin> | undefined;
  const partitionCounts = new Map<string, { count: Promise<number>; at: number }>();
  function partitionsOf(topic: string): Promise<number> {
    const known = partitionCounts.get(topic);
    if (known && Date.now() - known.at < PARTITION_COUNT_TTL_MS) return known.count;
    if (!admin) {
      const connecting = (async () => {
        const a = kafka.admin();
        await a.connect();
        return a;
      })();
      admin = connecting;
      // A connection that failed is tried again by the next lookup.
      connecting.catch(() => {
        if (admin === connecting) admin = undefined;
      });
    }
    const connected = admin;
    const count = (async () => {
      const { topics } = await (await connected).fetchTopicMetadata({ topics: [topic] });
      const n = topics[0]?.partitions.length ?? 0;
      if (n === 0) throw new Error(`topic ${topic} has no partitions`);
      return n;
    })();
    partitionCounts.set(topic, { count, at: Date.now() });
    // A failed lookup is not remembered: the next send asks again.
    count.catch(() => {
      if (partitionCounts.get(topic)?.count === count) partitionCounts.delete(topic);
    });
    return count;
  }
  const produce = async (topic: string, records: OutgoingRecord[]) => {
    await producer.send({ topic, acks: -1, messages: records });
  };
  return {
    async send(topic, records) {
      // Requests one after the other, so that each partition's records land in order.
      for (const request of requestsOf(records)) await produce(topic, request);
    },
    async sendPacked(topic, packing, items) {
      if (items.length === 0) return;
      for (const records of packedRequests(items, packing, await partitionsOf(topic))) await produce(topic, records);
    },
    async disconnect() {
      await (await admin?.catch(() => undefined))?.disconnect();
      await producer.disconnect();
    },
  };
}
