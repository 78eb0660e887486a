import { Kafka, logLevel, Partitioners, type Admin, type Producer, type IHeaders } from "kafkajs";
import type { Logger } from "pino";
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

export type OutgoingRecord = { key: string | Buffer | null; value: string | Buffer; headers?: IHeaders };

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
  disconnect(): Promise<void>;
};

export async function createProducer(kafka: Kafka): Promise<VolleyProducer> {
  // The default (murmur2, Java-compatible) partitioner: a key lands on the
  // same partition whichever client produced it.
  const producer: Producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  return {
    async send(topic, records) {
      if (records.length === 0) return;
      await producer.send({ topic, acks: -1, messages: records });
    },
    disconnect: () => producer.disconnect(),
  };
}
