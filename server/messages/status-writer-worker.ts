import { BULK_FETCH, startBatchConsumer } from "../kafka/consumer";
import { handleEachItem, itemsIn } from "../kafka/packed";
import { messageStatusRecord, recordByMessageId, TOPICS } from "../kafka/topics";
import type { StartedWorker, WorkerDeps } from "../worker/run-worker";
import { writeStatusBatch } from "./status-writer";

/** Consumes message-status (keyed by message id) and persists it in batches. */
export async function startStatusWriter({ env, log, db, redis, kafka, producer }: WorkerDeps): Promise<StartedWorker> {
  const consumer = await startBatchConsumer({
    kafka,
    producer,
    log,
    groupId: `${env.KAFKA_TOPIC_PREFIX}status-writer`,
    topic: env.KAFKA_TOPIC_PREFIX + TOPICS.messageStatus.name,
    dlqTopic: env.KAFKA_TOPIC_PREFIX + TOPICS.messageStatus.dlq,
    schema: messageStatusRecord,
    itemsIn,
    maxBatchSize: env.STATUS_WRITER_BATCH_SIZE,
    partitionsConsumedConcurrently: 2,
    fetchFill: BULK_FETCH,
    handle: (records) =>
      handleEachItem(records, { item: recordByMessageId, wire: recordByMessageId }, (events) =>
        writeStatusBatch({ db, redis }, events),
      ),
  });
  return { stop: () => consumer.stop() };
}
