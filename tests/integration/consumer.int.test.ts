import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { startBatchConsumer } from "@/server/kafka/consumer";
import { metrics } from "@/server/observability/metrics";
import { DLQ_HEADERS } from "@/server/kafka/topics";
import { createTestDeps, readTopic, waitFor } from "./helpers";

// The batch consumer against the real broker: a record that keeps failing is
// dead-lettered after its attempts and the partition moves on; a transient
// failure (a dependency down) is retried until it passes and loses nothing.

let deps: Awaited<ReturnType<typeof createTestDeps>>;
const schema = z.object({ n: z.number(), kind: z.enum(["ok", "boom", "flaky"]) });

beforeAll(async () => {
  deps = await createTestDeps();
});
afterAll(async () => {
  await deps?.close();
});

/** Single-partition topics under this run's prefix, and the consumer settings both tests share. */
async function singlePartitionTopics(...topics: string[]) {
  const admin = deps.kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: 1 })), waitForLeaders: true });
  await admin.disconnect();
}
const consumerOn = (topic: string, dlqTopic: string) => ({
  kafka: deps.kafka,
  producer: deps.producer,
  log: deps.log,
  groupId: `${topic}-group`,
  topic,
  dlqTopic,
});

describe("batch consumer failures", () => {
  it("dead-letters a record that keeps failing, retries transient failures, keeps the partition flowing", async () => {
    const topic = `${deps.env.KAFKA_TOPIC_PREFIX}consumer-test-${Date.now()}`;
    const dlq = `${topic}-dlq`;
    await singlePartitionTopics(topic, dlq);

    const handled: number[] = [];
    let flakyCalls = 0;
    const consumer = await startBatchConsumer({
      ...consumerOn(topic, dlq),
      schema,
      maxBatchSize: 100,
      maxAttempts: 3,
      handle: async (records) => {
        for (const r of records) {
          if (r.value.kind === "boom") throw new Error(`cannot handle ${r.value.n}`);
          if (r.value.kind === "flaky" && ++flakyCalls <= 2) {
            throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
          }
        }
        handled.push(...records.map((r) => r.value.n));
      },
    });
    try {
      const values = [
        { n: 1, kind: "ok" },
        { n: 2, kind: "boom" },
        { n: 3, kind: "ok" },
      ];
      await deps.producer.send(
        topic,
        values.map((v) => ({ key: "k", value: JSON.stringify(v) })),
      );
      await waitFor(
        async () => handled,
        (h) => h.includes(3),
        { what: "the records around the poison one", timeoutMs: 45_000 },
      );
      await deps.producer.send(topic, [{ key: "k", value: JSON.stringify({ n: 4, kind: "flaky" }) }]);
      await waitFor(
        async () => handled,
        (h) => h.includes(4),
        { what: "the flaky record", timeoutMs: 45_000 },
      );

      expect([...new Set(handled)].sort()).toEqual([1, 3, 4]);
      expect(flakyCalls).toBeGreaterThanOrEqual(3);
      const dead = await readTopic(deps.kafka, dlq, (records) => records.length >= 1);
      // At least once: a dead-letter produce retried after a lost ack lands twice. Count the source records.
      const bySource = new Map(dead.map((r) => [r.headers[DLQ_HEADERS.offset], r]));
      expect([...bySource.keys()]).toEqual(["1"]);
      const letter = bySource.get("1")!;
      expect(JSON.parse(letter.value)).toEqual({ n: 2, kind: "boom" });
      expect(letter.headers[DLQ_HEADERS.error]).toBe("failed 3 times: cannot handle 2");
    } finally {
      await consumer.stop();
    }
  });

  it("redelivers a chunk whose handler failed with an error kafkajs would not retry, instead of stopping", async () => {
    const topic = `${deps.env.KAFKA_TOPIC_PREFIX}consumer-fatal-${Date.now()}`;
    await singlePartitionTopics(topic);
    const handled: number[] = [];
    const failures: string[] = [];
    const consumer = await startBatchConsumer({
      ...consumerOn(topic, `${topic}-dlq`),
      schema,
      maxBatchSize: 100,
      maxAttempts: 5,
      handle: async (records) => {
        // What kafkajs treats as fatal: a broker's refusal marked not retriable (a record too large), then a TypeError.
        if (failures.length === 0) {
          failures.push("refused");
          throw Object.assign(new Error("The request included a message larger than the max message size"), {
            name: "KafkaJSProtocolError",
            retriable: false,
          });
        }
        if (failures.length === 1) {
          failures.push("type");
          throw new TypeError("Cannot read properties of undefined");
        }
        handled.push(...records.map((r) => r.value.n));
      },
    });
    try {
      await deps.producer.send(topic, [{ key: "k", value: JSON.stringify({ n: 1, kind: "ok" }) }]);
      await waitFor(
        async () => handled,
        (h) => h.includes(1),
        { what: "the record handled after two failures", timeoutMs: 45_000 },
      );
      expect(failures).toEqual(["refused", "type"]);
      // And the consumer is still there for what comes next.
      await deps.producer.send(topic, [{ key: "k", value: JSON.stringify({ n: 2, kind: "ok" }) }]);
      await waitFor(
        async () => handled,
        (h) => h.includes(2),
        { what: "the next record", timeoutMs: 45_000 },
      );
    } finally {
      await consumer.stop();
    }
  });

  it("counts the items records carry against the batch size (itemsIn)", async () => {
    const topic = `${deps.env.KAFKA_TOPIC_PREFIX}consumer-items-${Date.now()}`;
    await singlePartitionTopics(topic);
    // 12 records of 4 items each, produced before the consumer starts so that one fetch holds them all.
    await deps.producer.send(
      topic,
      Array.from({ length: 12 }, (_, n) => ({ key: "k", value: JSON.stringify({ n, items: [1, 2, 3, 4] }) })),
    );
    const chunks: number[][] = [];
    const consumer = await startBatchConsumer({
      ...consumerOn(topic, `${topic}-dlq`),
      schema: z.object({ n: z.number(), items: z.array(z.number()) }),
      maxBatchSize: 10,
      itemsIn: (value) => value.items.length,
      handle: async (records) => {
        chunks.push(records.map((r) => r.value.n));
      },
    });
    try {
      await waitFor(
        async () => chunks.flat(),
        (seen) => seen.includes(11),
        { what: "every record handled", timeoutMs: 45_000 },
      );
      // A chunk closes once it holds maxBatchSize items or more: 3 records (12 items), not 10 records.
      // (Usually [[0,1,2],[3,4,5],…]; a fetch that stops short of 12 records ends a chunk early.)
      expect(chunks.flat()).toEqual(Array.from({ length: 12 }, (_, n) => n));
      expect(Math.max(...chunks.map((c) => c.length))).toBeLessThanOrEqual(3);
      // Counted once committed: 12 records, 48 items.
      const counted = async (counter: typeof metrics.itemsConsumed) =>
        (await counter.get()).values.find((v) => v.labels.group === `${topic}-group` && v.labels.topic === topic)
          ?.value;
      expect(
        await waitFor(
          () => counted(metrics.itemsConsumed),
          (n) => n === 48,
          { what: "items counted" },
        ),
      ).toBe(48);
      expect(await counted(metrics.recordsConsumed)).toBe(12);
    } finally {
      await consumer.stop();
    }
  });

  it("passes by the records its skip says it has nothing to do with, unread, and commits past them", async () => {
    const topic = `${deps.env.KAFKA_TOPIC_PREFIX}consumer-skip-${Date.now()}`;
    await singlePartitionTopics(topic);
    // Every third record is marked as of no interest; one of those is not even JSON (it is never decoded).
    await deps.producer.send(
      topic,
      Array.from({ length: 12 }, (_, n) => ({
        key: "k",
        value: n === 3 ? "not json" : JSON.stringify({ n, kind: "ok" }),
        headers: n % 3 === 0 ? { interest: "none" } : {},
      })),
    );
    const handled: number[] = [];
    const consumer = await startBatchConsumer({
      ...consumerOn(topic, `${topic}-dlq`),
      schema,
      maxBatchSize: 100,
      skip: (message) => message.headers?.interest?.toString() === "none",
      handle: async (records) => {
        handled.push(...records.map((r) => r.value.n));
      },
    });
    const admin = deps.kafka.admin();
    await admin.connect();
    try {
      await waitFor(
        async () =>
          (await admin.fetchOffsets({ groupId: `${topic}-group`, topics: [topic] }))[0]!.partitions[0]!.offset,
        (offset) => offset === "12",
        { what: "the group committed past every record", timeoutMs: 45_000 },
      );
      expect(handled).toEqual([1, 2, 4, 5, 7, 8, 10, 11]);
      // The record that is not JSON was never decoded, so never dead-lettered.
      const deadLettered = (await metrics.recordsDeadLettered.get()).values.find(
        (v) => v.labels.group === `${topic}-group`,
      );
      expect(deadLettered?.value ?? 0).toBe(0);
    } finally {
      await admin.disconnect();
      await consumer.stop();
    }
  });
});
