import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createKafka, ensureTopics } from "@/server/kafka/client";
import { kafkaConfig } from "@/server/kafka/config";
import { allTopicNames } from "@/server/kafka/topics";
import { createLogger } from "@/server/logger";
import { env } from "@/server/env";

// Every worker creates the topics it finds missing when it starts (ensureTopics), so a fresh install's workers all
// race to create the same topics on the real broker: each must start, and every topic must exist once.

describe("topic creation", () => {
  it("lets workers starting together all create the missing topics, and creates each one", async () => {
    const config = { ...kafkaConfig(env()), topicPrefix: `it-topics-${randomUUID().slice(0, 8)}-` };
    const kafka = createKafka(config, createLogger("test"));
    const admin = kafka.admin();
    await admin.connect();
    try {
      const created = await Promise.all([1, 2, 3].map(() => ensureTopics(kafka, config)));
      const wanted = allTopicNames(config.topicPrefix);
      // Each saw them missing at first; whoever lost the race was told they exist and went on.
      for (const missing of created) expect(missing.length).toBeGreaterThan(0);
      const existing = (await admin.listTopics()).filter((t) => t.startsWith(config.topicPrefix));
      expect(existing.sort()).toEqual([...wanted].sort());
      // Started again: nothing missing, nothing created.
      expect(await ensureTopics(kafka, config)).toEqual([]);
    } finally {
      const ours = (await admin.listTopics()).filter((t) => t.startsWith(config.topicPrefix));
      if (ours.length > 0) await admin.deleteTopics({ topics: ours }).catch(() => undefined);
      await admin.disconnect();
    }
  });
});
