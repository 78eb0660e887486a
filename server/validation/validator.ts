import { startBatchConsumer } from "../kafka/consumer";
import { handleEachItem, itemsIn } from "../kafka/packed";
import { bulkMessageRecord, recordByMessageId, TOPICS } from "../kafka/topics";
import type { StartedWorker, WorkerDeps } from "../worker/run-worker";
import { validateBatch } from "./validate-batch";

/** The validator stage: consumes bulk-topic in batches (one consumer group). */
export async function startValidator({ env, log, db, redis, kafka, producer }: WorkerDeps): Promise<StartedWorker> {
  const consumer = await startBatchConsumer({
    kafka,
    producer,
    log,
    groupId: `${env.KAFKA_TOPIC_PREFIX}validator`,
    topic: env.KAFKA_TOPIC_PREFIX + TOPICS.bulk.name,
    dlqTopic: env.KAFKA_TOPIC_PREFIX + TOPICS.bulk.dlq,
    schema: bulkMessageRecord,
    itemsIn,
    maxBatchSize: env.VALIDATOR_BATCH_SIZE,
    partitionsConsumedConcurrently: 3,
    // A chunk of 2,000 messages is under 1 MiB; the default 4 MiB per partition took the validator, which holds
    // every message of its chunks decoded, to 243 MB of RSS on a 200k campaign.
    maxBytesPerPartition: 1024 * 1024,
    handle: (records) =>
      handleEachItem(records, { item: recordByMessageId, wire: recordByMessageId }, (messages) =>
        validateBatch({ db, redis, producer, topicPrefix: env.KAFKA_TOPIC_PREFIX }, messages),
      ),
  });
  return { stop: () => consumer.stop() };
}
