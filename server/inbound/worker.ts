import { startBatchConsumer } from "../kafka/consumer";
import { inboundMessageV1, TOPICS } from "../kafka/topics";
import type { StartedWorker, WorkerDeps } from "../worker/run-worker";
import { processInboundBatch } from "./process";

/** The inbound worker: inbound-messages → stored replies, STOP/START applied to the opt-outs. */
export async function startInbound({ env, log, db, redis, kafka, producer }: WorkerDeps): Promise<StartedWorker> {
  const prefix = env.KAFKA_TOPIC_PREFIX;
  const consumer = await startBatchConsumer({
    kafka,
    producer,
    log,
    groupId: `${prefix}inbound`,
    topic: prefix + TOPICS.inbound.name,
    dlqTopic: prefix + TOPICS.inbound.dlq,
    schema: inboundMessageV1,
    maxBatchSize: 500,
    handle: async (records) => {
      await processInboundBatch(
        { db, redis, log, producer, topicPrefix: prefix },
        records.map((r) => r.value),
      );
    },
  });
  return { stop: () => consumer.stop() };
}
