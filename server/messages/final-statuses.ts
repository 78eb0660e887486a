import type { KafkaMessage } from "kafkajs";
import { BULK_FETCH, startBatchConsumer, type BatchHandler, type RunningConsumer } from "../kafka/consumer";
import { itemsIn, type Unpacked } from "../kafka/packed";
import { messageStatusV1, singleOrPacked, STATUSES_HEADER, TOPICS, type MessageStatusEvent } from "../kafka/topics";
import type { WorkerDeps } from "../worker/run-worker";
import { FINAL_STATUSES } from "./status";

// Readers of message-status that care only about final statuses (refunds, webhooks), each in its own consumer group
// beside the status writer, so they neither wait for nor hold up the status writes, nor each other.

const FINAL: ReadonlySet<unknown> = new Set(FINAL_STATUSES);

/**
 * message-status as these readers read it: the other items of a v2 record (ACCEPTED with its content, SUBMITTED: two
 * of a message's three events) are dropped unread rather than validated; the status writer reads every item and
 * dead-letters a bad one. A v1 record is validated whole, as everywhere.
 */
export const finalStatusRecord = singleOrPacked(
  messageStatusV1,
  "events",
  (item) => typeof item === "object" && item !== null && FINAL.has((item as { status?: unknown }).status),
);

/**
 * A packed record whose header says it carries no final status (a batch's ACCEPTED or SUBMITTED events, two of a
 * message's three records) has nothing for them: it is passed by unread. Without the header it is read.
 */
export function carriesNoFinalStatus(message: Pick<KafkaMessage, "headers">): boolean {
  const header = message.headers?.[STATUSES_HEADER];
  if (header === undefined) return false;
  return !header
    .toString()
    .split(",")
    .some((status) => FINAL.has(status));
}

/**
 * Consumer group `<prefix><group>` on message-status, handing `handle` the records that carry final statuses (and that
 * `alsoSkip`, which sees the raw record, does not pass by).
 */
export function startFinalStatusConsumer(
  { env, log, kafka, producer }: Pick<WorkerDeps, "env" | "log" | "kafka" | "producer">,
  group: string,
  handle: BatchHandler<Unpacked<MessageStatusEvent>>,
  alsoSkip?: (message: KafkaMessage) => boolean,
): Promise<RunningConsumer> {
  const prefix = env.KAFKA_TOPIC_PREFIX;
  return startBatchConsumer({
    kafka,
    producer,
    log,
    groupId: prefix + group,
    topic: prefix + TOPICS.messageStatus.name,
    dlqTopic: prefix + TOPICS.messageStatus.dlq,
    schema: finalStatusRecord,
    itemsIn,
    maxBatchSize: env.STATUS_WRITER_BATCH_SIZE,
    partitionsConsumedConcurrently: 2,
    fetchFill: BULK_FETCH,
    skip: alsoSkip ? (message) => carriesNoFinalStatus(message) || alsoSkip(message) : carriesNoFinalStatus,
    handle,
  });
}
