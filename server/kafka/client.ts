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
        const method = level === logLevel.ERROR ? "error" : level === logLevel.WARN ? "warn" : "debug";
        log[method]({ kafka: rest }, message);
      },
  });
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
   * together, `maxPerRecord` at most per record, to the partition a record
   * keyed by any one of them would go to (so keyed order and keyed ownership
   * hold as if each were its own record); each record is keyed by its first item.
   */
  sendPacked<T>(topic: string, packing: Packing<T>, items: T[]): Promise<void>;
  disconnect(): Promise<void>;
};

export type Packing<T> = {
  keyOf: (item: T) => string;
  /** The record value carrying these items (all bound for one partition). */
  pack: (items: T[]) => string;
  maxPerRecord: number;
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
  const send: VolleyProducer["send"] = async (topic, records) => {
    if (records.length === 0) return;
    await producer.send({ topic, acks: -1, messages: records });
  };
  return {
    send,
    async sendPacked(topic, { keyOf, pack, maxPerRecord }, items) {
      if (items.length === 0) return;
      const records: OutgoingRecord[] = [];
      for (const [partition, bound] of groupByPartition(items, keyOf, await partitionsOf(topic))) {
        for (let i = 0; i < bound.length; i += maxPerRecord) {
          const chunk = bound.slice(i, i + maxPerRecord);
          records.push({ key: keyOf(chunk[0]!), value: pack(chunk), partition });
        }
      }
      await send(topic, records);
    },
    async disconnect() {
      await (await admin?.catch(() => undefined))?.disconnect();
      await producer.disconnect();
    },
  };
}
