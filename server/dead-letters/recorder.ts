import type { Db } from "../db";
import { startRawBatchConsumer, type RawRecord } from "../kafka/consumer";
import { deadLetterTopics, DLQ_HEADERS } from "../kafka/topics";
import type { StartedWorker, WorkerDeps } from "../worker/run-worker";

// Copies every dead-lettered record into dead_letters so that operators can
// list, inspect and replay them. Keyed by the record's own position on the
// dead-letter topic, so a redelivered batch inserts nothing twice; and one
// failed record is recorded once, however often it reached the dead-letter
// topic (a produce retried after a lost ack, a stage that dead-lettered it
// again after a crash before its commit): same group, source topic,
// partition and offset.

/** Records per insert statement. */
const BATCH_SIZE = 1000;

/** Stored when a header is missing or unreadable. */
export const UNKNOWN_POSITION = -1;

const DLQ_HEADER_NAMES: ReadonlySet<string> = new Set(Object.values(DLQ_HEADERS));

export type DeadLetterRow = {
  dlqTopic: string;
  dlqPartition: number;
  dlqOffset: string;
  sourceTopic: string;
  sourcePartition: number;
  sourceOffset: string;
  consumerGroup: string;
  error: string;
  key: Buffer | null;
  value: Buffer;
  /** The record's original headers, without the dead-letter ones. */
  headers: Record<string, string | string[]>;
  failedAt: Date;
};

// Postgres text and jsonb cannot hold NUL, and a header is arbitrary bytes:
// one stray byte must not block the partition.
function clean(text: string): string {
  return text.replace(/\u0000/g, "\uFFFD");
}

function header(record: RawRecord, name: string): string | undefined {
  const value = record.headers[name];
  const text = Array.isArray(value) ? value[value.length - 1] : value;
  return text === undefined || text.trim() === "" ? undefined : clean(text.trim());
}

function parseInteger(text: string | undefined, max: bigint): string | undefined {
  if (text === undefined || !/^\d{1,19}$/.test(text)) return undefined;
  return BigInt(text) <= max ? String(BigInt(text)) : undefined;
}

function parseDate(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** Reads a dead-lettered record; missing or garbled headers fall back, never throw. */
export function toDeadLetterRow(record: RawRecord, now = new Date()): DeadLetterRow {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(record.headers)) {
    if (!DLQ_HEADER_NAMES.has(name)) headers[clean(name)] = Array.isArray(value) ? value.map(clean) : clean(value);
  }
  const partition = parseInteger(header(record, DLQ_HEADERS.partition), 2_147_483_647n);
  const offset = parseInteger(header(record, DLQ_HEADERS.offset), 9_223_372_036_854_775_807n);
  const timestamp = /^\d+$/.test(record.timestamp) ? new Date(Number(record.timestamp)) : undefined;
  return {
    dlqTopic: record.topic,
    dlqPartition: record.partition,
    dlqOffset: record.offset,
    sourceTopic: header(record, DLQ_HEADERS.topic) ?? record.topic.replace(/-dlq$/, ""),
    sourcePartition: partition === undefined ? UNKNOWN_POSITION : Number(partition),
    sourceOffset: offset ?? String(UNKNOWN_POSITION),
    consumerGroup: header(record, DLQ_HEADERS.consumerGroup) ?? "",
    error: header(record, DLQ_HEADERS.error) ?? "(no error recorded)",
    key: record.key,
    value: record.value ?? Buffer.alloc(0),
    headers,
    failedAt: parseDate(header(record, DLQ_HEADERS.at)) ?? timestamp ?? now,
  };
}

const sourceKey = (r: DeadLetterRow) =>
  r.sourceOffset === String(UNKNOWN_POSITION) || r.sourcePartition === UNKNOWN_POSITION
    ? null
    : `${r.consumerGroup}\u0000${r.sourceTopic}\u0000${r.sourcePartition}\u0000${r.sourceOffset}`;

/** The first row of each failed record (by its source position, where it is known). */
function firstOfEachSource(rows: DeadLetterRow[]): DeadLetterRow[] {
  const seen = new Set<string>();
  return rows.filter((r) => {
    const key = sourceKey(r);
    if (key === null) return true;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * One multi-row insert; rows already recorded (a redelivered batch, the same failed record dead-lettered twice) are
 * skipped. A dead-letter partition has one recorder at a time, and a record's copies share its key and so its
 * partition: the NOT EXISTS cannot race with itself.
 */
export async function insertDeadLetters(db: Db, all: DeadLetterRow[]): Promise<number> {
  const rows = firstOfEachSource(all);
  if (rows.length === 0) return 0;
  const result = await db.pool.query(
    `INSERT INTO dead_letters (dlq_topic, dlq_partition, dlq_offset, source_topic, source_partition, source_offset,
                               consumer_group, error, key, value, headers, failed_at)
     SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[], $4::text[], $5::int[], $6::bigint[],
                          $7::text[], $8::text[], $9::bytea[], $10::bytea[], $11::jsonb[], $12::timestamptz[])
                   AS t(dlq_topic, dlq_partition, dlq_offset, source_topic, source_partition, source_offset,
                        consumer_group, error, key, value, headers, failed_at)
     WHERE t.source_offset < 0 OR t.source_partition < 0 OR NOT EXISTS (
       SELECT 1 FROM dead_letters d
       WHERE d.source_topic = t.source_topic AND d.source_partition = t.source_partition
         AND d.source_offset = t.source_offset AND d.consumer_group = t.consumer_group)
     ON CONFLICT (dlq_topic, dlq_partition, dlq_offset) DO NOTHING`,
    [
      rows.map((r) => r.dlqTopic),
      rows.map((r) => r.dlqPartition),
      rows.map((r) => r.dlqOffset),
      rows.map((r) => r.sourceTopic),
      rows.map((r) => r.sourcePartition),
      rows.map((r) => r.sourceOffset),
      rows.map((r) => r.consumerGroup),
      rows.map((r) => r.error),
      rows.map((r) => r.key),
      rows.map((r) => r.value),
      rows.map((r) => JSON.stringify(r.headers)),
      rows.map((r) => r.failedAt.toISOString()),
    ],
  );
  return result.rowCount ?? 0;
}

/** The dead-letter recorder: one group over every stage's dead-letter topic. */
export async function startDeadLetterRecorder({ env, log, db, kafka }: WorkerDeps): Promise<StartedWorker> {
  const prefix = env.KAFKA_TOPIC_PREFIX;
  const consumer = await startRawBatchConsumer({
    kafka,
    log,
    groupId: `${prefix}dead-letter-recorder`,
    topics: deadLetterTopics().map((t) => prefix + t),
    maxBatchSize: BATCH_SIZE,
    partitionsConsumedConcurrently: 3,
    handle: async (records) => {
      const inserted = await insertDeadLetters(
        db,
        records.map((r) => toDeadLetterRow(r)),
      );
      if (inserted > 0) log.info({ topic: records[0]!.topic, inserted }, "recorded dead letters");
    },
  });
  return { stop: () => consumer.stop() };
}
