import { randomUUID } from "node:crypto";
import type { Kafka } from "kafkajs";

export type RangeRecord = { topic: string; partition: number; offset: string; key: string | null; value: Buffer };

/**
 * A group's coordinator can be moving or still loading (a fresh broker, a new
 * group): kafkajs reports that as a retriable error, so wait it out.
 */
async function retryRetriable<T>(fn: () => Promise<T>, attempts = 20): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts || !(err as { retriable?: boolean }).retriable) throw err;
      await new Promise((r) => setTimeout(r, Math.min(2_000, 100 * i)));
    }
  }
}

/**
 * Reads what a consumer group has not committed yet: from its committed
 * offset (or the start, for a partition it never committed) up to the
 * partition's end as of the call, with a throwaway group that commits
 * nothing. For rebuilding state that lives between a producer and that
 * group (the billing gate's pending reservations).
 */
export async function readUncommitted(kafka: Kafka, groupId: string, topics: string[]): Promise<RangeRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  const wanted = new Map<string, { from: bigint; to: bigint }>();
  try {
    for (const topic of topics) {
      const [ends, starts, committed] = await retryRetriable(() =>
        Promise.all([
          admin.fetchTopicOffsets(topic),
          admin.fetchTopicOffsetsByTimestamp(topic, 0),
          admin.fetchOffsets({ groupId, topics: [topic] }),
        ]),
      );
      for (const end of ends) {
        const done = committed[0]?.partitions.find((p) => p.partition === end.partition)?.offset ?? "-1";
        const start = starts.find((s) => s.partition === end.partition)?.offset ?? "0";
        const from = BigInt(done) >= 0n ? BigInt(done) : BigInt(start);
        if (from < BigInt(end.high)) wanted.set(`${topic}:${end.partition}`, { from, to: BigInt(end.high) });
      }
    }
  } finally {
    await admin.disconnect();
  }
  if (wanted.size === 0) return [];

  const records: RangeRecord[] = [];
  const consumer = kafka.consumer({ groupId: `range-reader-${randomUUID()}`, allowAutoTopicCreation: false });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    const remaining = new Set(wanted.keys());
    const finished = new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            const key = `${batch.topic}:${batch.partition}`;
            const range = wanted.get(key);
            if (!range) return;
            for (const m of batch.messages) {
              const offset = BigInt(m.offset);
              if (offset >= range.from && offset < range.to) {
                records.push({
                  topic: batch.topic,
                  partition: batch.partition,
                  offset: m.offset,
                  key: m.key?.toString() ?? null,
                  value: m.value ?? Buffer.alloc(0),
                });
              }
              if (offset >= range.to - 1n) remaining.delete(key);
            }
            if (remaining.size === 0) resolve();
          },
        })
        .catch(reject);
    });
    for (const [key, range] of wanted) {
      const i = key.lastIndexOf(":");
      consumer.seek({ topic: key.slice(0, i), partition: Number(key.slice(i + 1)), offset: range.from.toString() });
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`reading ${topics.join(", ")} did not finish in time`)), 120_000);
    });
    try {
      await Promise.race([finished, timeout]);
    } finally {
      clearTimeout(timer);
    }
    return records;
  } finally {
    await consumer.disconnect();
  }
}
