import { Kafka, logLevel } from "kafkajs";

// Runs in the main vitest process after the project's env is applied.
// Removes this run's topics at the end so repeated runs don't pile them up.
export default function setup() {
  return async () => {
    const prefix = process.env.IT_TOPIC_PREFIX;
    if (!prefix) return;
    const kafka = new Kafka({
      brokers: (process.env.KAFKA_BROKERS ?? "127.0.0.1:9092").split(","),
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    try {
      await admin.connect();
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
      if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 10_000 });
    } catch {
      // Cleanup is best-effort; a failed delete leaves harmless topics behind.
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  };
}
