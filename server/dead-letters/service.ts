import type { Prisma } from "@prisma/client";
import type { Db } from "../db";
import { AppError } from "../errors";
import type { OutgoingRecord, VolleyProducer } from "../kafka/client";
import { DLQ_HEADERS, REPLAY_HEADER, TOPICS } from "../kafka/topics";
import { UNKNOWN_POSITION } from "./recorder";
import type { DeadLetterStatus, ListDeadLettersInput } from "./schemas";

// Every query is scoped to this deployment's dead-letter topics (the topic
// prefix), so a shared database shows each deployment only its own records.

export type DeadLetterDeps = { db: Db; topicPrefix: string };
export type ReplayDeps = DeadLetterDeps & { producer: VolleyProducer; operatorId: string };

/** Bytes of the value shown in lists; `get` returns it whole. */
export const PREVIEW_BYTES = 300;
/** Rows replayAll reads, produces and marks at a time. */
export const REPLAY_PAGE_SIZE = 500;

const DLQ_HEADER_NAMES: ReadonlySet<string> = new Set(Object.values(DLQ_HEADERS));

export type DeadLetterSummary = {
  id: string;
  dlqTopic: string;
  dlqPartition: number;
  dlqOffset: string;
  sourceTopic: string;
  /** The source topic without the deployment's prefix, e.g. "bulk-topic". */
  stage: string;
  /** Null when the record's headers did not say. */
  sourcePartition: number | null;
  sourceOffset: string | null;
  consumerGroup: string;
  error: string;
  key: string | null;
  valuePreview: string;
  valueBytes: number;
  isTruncated: boolean;
  failedAt: Date;
  replayedAt: Date | null;
  replayCount: number;
};

export type DeadLetterDetail = DeadLetterSummary & {
  value: string;
  headers: Record<string, string | string[]>;
  createdAt: Date;
};

type SummaryRow = {
  id: string;
  dlq_topic: string;
  dlq_partition: number;
  dlq_offset: string;
  source_topic: string;
  source_partition: number;
  source_offset: string;
  consumer_group: string;
  error: string;
  key: Buffer | null;
  value_head: Buffer;
  value_bytes: number;
  failed_at: Date;
  replayed_at: Date | null;
  replay_count: number;
};

// `id::text` keeps the name id: ORDER BY must say dead_letters.id, or it
// sorts the text ("9" after "10").
const SUMMARY_COLUMNS = `id::text, dlq_topic, dlq_partition, dlq_offset::text, source_topic, source_partition,
  source_offset::text, consumer_group, error, key, substring(value from 1 for ${PREVIEW_BYTES}) AS value_head,
  octet_length(value) AS value_bytes, failed_at, replayed_at, replay_count`;

function stageOf(topicPrefix: string, sourceTopic: string): string {
  return topicPrefix && sourceTopic.startsWith(topicPrefix) ? sourceTopic.slice(topicPrefix.length) : sourceTopic;
}

function toSummary(topicPrefix: string, r: SummaryRow): DeadLetterSummary {
  return {
    id: r.id,
    dlqTopic: r.dlq_topic,
    dlqPartition: r.dlq_partition,
    dlqOffset: r.dlq_offset,
    sourceTopic: r.source_topic,
    stage: stageOf(topicPrefix, r.source_topic),
    sourcePartition: r.source_partition === UNKNOWN_POSITION ? null : r.source_partition,
    sourceOffset: r.source_offset === String(UNKNOWN_POSITION) ? null : r.source_offset,
    consumerGroup: r.consumer_group,
    error: r.error,
    key: r.key?.toString("utf8") ?? null,
    valuePreview: r.value_head.toString("utf8"),
    valueBytes: r.value_bytes,
    isTruncated: r.value_bytes > PREVIEW_BYTES,
    failedAt: r.failed_at,
    replayedAt: r.replayed_at,
    replayCount: r.replay_count,
  };
}

const statusCondition: Record<DeadLetterStatus, string> = {
  pending: "replayed_at IS NULL",
  replayed: "replayed_at IS NOT NULL",
  all: "TRUE",
};

/** Newest first, paged by id. */
export async function listDeadLetters(
  deps: DeadLetterDeps,
  input: ListDeadLettersInput,
): Promise<{ items: DeadLetterSummary[]; nextCursor: string | null }> {
  const { rows } = await deps.db.pool.query<SummaryRow>(
    `SELECT ${SUMMARY_COLUMNS}
     FROM dead_letters
     WHERE starts_with(dlq_topic, $1)
       AND ($2::text IS NULL OR source_topic = $2)
       AND ($3::bigint IS NULL OR id < $3)
       AND ${statusCondition[input.status]}
     ORDER BY dead_letters.id DESC
     LIMIT $4`,
    [deps.topicPrefix, input.sourceTopic ?? null, input.cursor ?? null, input.limit + 1],
  );
  const hasMore = rows.length > input.limit;
  const page = (hasMore ? rows.slice(0, input.limit) : rows).map((r) => toSummary(deps.topicPrefix, r));
  return { items: page, nextCursor: hasMore ? page[page.length - 1]!.id : null };
}

export async function getDeadLetter(deps: DeadLetterDeps, id: string): Promise<DeadLetterDetail> {
  const { rows } = await deps.db.pool.query<
    SummaryRow & { value: Buffer; headers: Record<string, string | string[]>; created_at: Date }
  >(
    `SELECT ${SUMMARY_COLUMNS}, value, headers, created_at
     FROM dead_letters WHERE id = $1 AND starts_with(dlq_topic, $2)`,
    [id, deps.topicPrefix],
  );
  const row = rows[0];
  if (!row) throw new AppError("NOT_FOUND", "Dead letter not found");
  return {
    ...toSummary(deps.topicPrefix, row),
    value: row.value.toString("utf8"),
    headers: row.headers,
    createdAt: row.created_at,
  };
}

export type DeadLetterStage = { sourceTopic: string; stage: string; pending: number; total: number };

/** Pending and total dead letters per source topic (stage). */
export async function deadLetterStats(deps: DeadLetterDeps): Promise<{ stages: DeadLetterStage[]; pending: number }> {
  const { rows } = await deps.db.pool.query<{ source_topic: string; pending: number; total: number }>(
    `SELECT source_topic, (count(*) FILTER (WHERE replayed_at IS NULL))::int AS pending, count(*)::int AS total
     FROM dead_letters WHERE starts_with(dlq_topic, $1)
     GROUP BY source_topic ORDER BY source_topic`,
    [deps.topicPrefix],
  );
  const stages = rows.map((r) => ({
    sourceTopic: r.source_topic,
    stage: stageOf(deps.topicPrefix, r.source_topic),
    pending: r.pending,
    total: r.total,
  }));
  return { stages, pending: stages.reduce((n, s) => n + s.pending, 0) };
}

// A source topic comes from a header and may be garbled: replay only ever
// writes to one of this deployment's consumed topics, never a dead-letter one.
function assertReplayable(topicPrefix: string, sourceTopic: string): void {
  const known = Object.values(TOPICS).some((t) => topicPrefix + t.name === sourceTopic);
  if (!known) throw new AppError("CONFLICT", `Cannot replay to ${sourceTopic}: not a topic of this deployment`);
}

type ReplayRow = { id: string; key: Buffer | null; value: Buffer; headers: Record<string, string | string[]> };

/** The original key, value and headers, plus where it came from. */
function toReplayRecord(row: ReplayRow): OutgoingRecord {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(row.headers)) {
    if (!DLQ_HEADER_NAMES.has(name)) headers[name] = value;
  }
  headers[REPLAY_HEADER] = row.id;
  return { key: row.key, value: row.value, headers };
}

async function markReplayed(
  db: Db,
  ids: string[],
  audit?: { operatorId: string; action: string; target: string; details: Prisma.InputJsonObject },
): Promise<void> {
  await db.prisma.$transaction(async (tx) => {
    await tx.$executeRaw`UPDATE dead_letters SET replayed_at = now(), replay_count = replay_count + 1
                         WHERE id = ANY(${ids}::bigint[])`;
    if (audit) await tx.auditEntry.create({ data: audit });
  });
}

/**
 * Produces one dead letter back to its source topic and marks it replayed.
 * Produced before it is marked: a failure in between replays it twice, which
 * every stage tolerates (idempotent by message id); losing it would not be.
 */
export async function replayDeadLetter(deps: ReplayDeps, id: string): Promise<DeadLetterSummary> {
  const { rows } = await deps.db.pool.query<ReplayRow & { source_topic: string }>(
    `SELECT id::text, source_topic, key, value, headers FROM dead_letters WHERE id = $1 AND starts_with(dlq_topic, $2)`,
    [id, deps.topicPrefix],
  );
  const row = rows[0];
  if (!row) throw new AppError("NOT_FOUND", "Dead letter not found");
  assertReplayable(deps.topicPrefix, row.source_topic);
  await deps.producer.send(row.source_topic, [toReplayRecord(row)]);
  await markReplayed(deps.db, [row.id], {
    operatorId: deps.operatorId,
    action: "dead-letter.replay",
    target: `dead-letter:${row.id}`,
    details: { sourceTopic: row.source_topic },
  });
  return getDeadLetter(deps, row.id);
}

/**
 * Replays every pending dead letter of one stage, a page at a time, oldest
 * first. Stops at the newest one pending when it started, so records that
 * fail again during the replay wait for the next one instead of looping.
 */
export async function replayAllDeadLetters(deps: ReplayDeps, sourceTopic: string): Promise<{ replayed: number }> {
  assertReplayable(deps.topicPrefix, sourceTopic);
  const scope = "source_topic = $1 AND starts_with(dlq_topic, $2) AND replayed_at IS NULL";
  const { rows: bounds } = await deps.db.pool.query<{ last: string | null }>(
    `SELECT max(id)::text AS last FROM dead_letters WHERE ${scope}`,
    [sourceTopic, deps.topicPrefix],
  );
  const last = bounds[0]?.last ?? null;
  let replayed = 0;
  let failure: unknown;
  try {
    let cursor = "0";
    while (last !== null) {
      const { rows } = await deps.db.pool.query<ReplayRow>(
        `SELECT id::text, key, value, headers FROM dead_letters
         WHERE ${scope} AND id > $3 AND id <= $4 ORDER BY dead_letters.id LIMIT $5`,
        [sourceTopic, deps.topicPrefix, cursor, last, REPLAY_PAGE_SIZE],
      );
      if (rows.length === 0) break;
      await deps.producer.send(sourceTopic, rows.map(toReplayRecord));
      const ids = rows.map((r) => r.id);
      await markReplayed(deps.db, ids);
      replayed += ids.length;
      cursor = ids[ids.length - 1]!;
    }
  } catch (err) {
    failure = err;
  }
  // Written for a partial replay too: the operator's action happened.
  await deps.db.prisma.auditEntry.create({
    data: {
      operatorId: deps.operatorId,
      action: "dead-letter.replay-all",
      target: sourceTopic,
      details: failure ? { replayed, failed: true } : { replayed },
    },
  });
  if (failure) throw failure;
  return { replayed };
}
