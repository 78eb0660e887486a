import { randomUUID } from "node:crypto";
import type { Kafka } from "kafkajs";
import type { Pool } from "pg";
import type { ApiDeps } from "@/server/api/deps";
import { createCaller } from "@/server/api/root";
import type { Session } from "@/server/auth/session";
import { closeDb, createDb } from "@/server/db";
import { env } from "@/server/env";
import { createKafka, createProducer, ensureTopics } from "@/server/kafka/client";
import { kafkaConfig } from "@/server/kafka/config";
import type { z } from "zod";
import type { Unpacked } from "@/server/kafka/packed";
import {
  bulkMessageRecord,
  messageStatusRecord,
  routedMessageRecord,
  usageCdrRecord,
  usageCdrV1Json,
  type BulkMessage,
  type MessageStatusEvent,
  type RoutedMessage,
  type UsageCdrWire,
} from "@/server/kafka/topics";
import { createLogger } from "@/server/logger";
import { createRedis } from "@/server/redis";
import type { StartedWorker, WorkerDeps } from "@/server/worker/run-worker";
import { startLauncher, startScheduler } from "@/server/campaigns/workers";
import { startStatusWriter } from "@/server/messages/status-writer-worker";
import { startValidator } from "@/server/validation/validator";
import { startPostpaidLane, startPrepaidLane } from "@/server/billing/lanes";
import { startDeductionService } from "@/server/billing/deduction-worker";
import { startRefunds } from "@/server/billing/refunds";
import { startPostpaidManager } from "@/server/billing/postpaid-manager";
import { startBulkProc } from "@/server/delivery/bulk-proc-worker";
import { startInbound } from "@/server/inbound/worker";

export type Stage =
  | "launcher"
  | "scheduler"
  | "validator"
  | "status-writer"
  | "prepaid-high"
  | "prepaid-low"
  | "prepaid-manager"
  | "refunds"
  | "postpaid-high"
  | "postpaid-low"
  | "postpaid-manager"
  | "bulk-proc"
  | "inbound";
const STAGES: Record<Stage, (deps: WorkerDeps) => Promise<StartedWorker>> = {
  launcher: startLauncher,
  scheduler: startScheduler,
  validator: startValidator,
  "status-writer": startStatusWriter,
  "prepaid-high": startPrepaidLane("high"),
  "prepaid-low": startPrepaidLane("low"),
  "prepaid-manager": startDeductionService,
  refunds: startRefunds,
  "postpaid-high": startPostpaidLane("high"),
  "postpaid-low": startPostpaidLane("low"),
  "postpaid-manager": startPostpaidManager,
  "bulk-proc": startBulkProc,
  inbound: startInbound,
};

const CAMPAIGN_STAGES: Stage[] = ["launcher", "scheduler", "validator", "status-writer"];

/** Every stage a prepaid campaign goes through up to bulk-proc (which each file starts with its own providers). */
export const PREPAID_DELIVERY_STAGES: Stage[] = [
  ...CAMPAIGN_STAGES,
  "prepaid-low",
  "prepaid-high",
  "prepaid-manager",
  "refunds",
];

/** Starts pipeline stages in this process, as their worker processes would. */
export async function startStages(deps: WorkerDeps, stages: Stage[] = CAMPAIGN_STAGES) {
  const started = await Promise.all(stages.map((s) => STAGES[s](deps)));
  return { stop: () => Promise.all(started.map((w) => w.stop())).then(() => undefined) };
}

/** Real clients against the test database, Redis and this run's topics. */
export async function createTestDeps(): Promise<WorkerDeps & { api: ApiDeps; close(): Promise<void> }> {
  const e = env();
  const log = createLogger("test");
  const db = createDb({ url: e.DATABASE_URL, poolSize: 5, randomPageCost: e.DATABASE_RANDOM_PAGE_COST });
  const redis = createRedis(e.REDIS_URL);
  const config = kafkaConfig(e);
  const kafka = createKafka(config, log);
  await ensureTopics(kafka, config);
  const producer = await createProducer(kafka);
  const api: ApiDeps = { env: e, log, db, redis, producer: async () => producer };
  return {
    env: e,
    log,
    db,
    redis,
    kafka,
    producer,
    api,
    async close() {
      await producer.disconnect();
      redis.disconnect();
      await closeDb(db);
    },
  };
}

/** A tRPC caller signed in as a real operator row with that role (or anonymous). */
export async function callerAs(api: ApiDeps, role: Session["role"] | null) {
  if (!role) return createCaller({ deps: api, session: null, resHeaders: new Headers() });
  const email = `${role.toLowerCase()}-${randomUUID().slice(0, 8)}@test.local`;
  const operator = await api.db.prisma.operator.create({ data: { email, name: role, role, passwordHash: "x" } });
  const session: Session = { operatorId: operator.id, email, name: role, role, exp: 9_999_999_999 };
  return createCaller({ deps: api, session, resHeaders: new Headers() });
}

export async function createTestClient(
  api: ApiDeps,
  opts: {
    billingType?: "PREPAID" | "POSTPAID";
    defaultCountry?: string;
    balance?: bigint;
    quietHours?: { start: string; end: string };
  } = {},
) {
  const suffix = randomUUID().slice(0, 8);
  const plan = await api.db.prisma.ratePlan.create({ data: { name: `plan-${suffix}`, defaultPricePerSegment: 2n } });
  return api.db.prisma.client.create({
    data: {
      name: `client-${suffix}`,
      billingType: opts.billingType ?? "PREPAID",
      defaultCountry: opts.defaultCountry ?? "GB",
      timezone: "UTC",
      quietHoursStart: opts.quietHours?.start ?? null,
      quietHoursEnd: opts.quietHours?.end ?? null,
      ratePlanId: plan.id,
      accounts: { create: [{ balance: opts.balance ?? 100_000n }] },
      senderIds: { create: [{ value: "TESTCO" }] },
    },
  });
}

export async function waitFor<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  { timeoutMs = 30_000, intervalMs = 200, what = "condition" } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await probe();
  while (!done(last)) {
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}; last value: ${JSON.stringify(last, (_, v) => (typeof v === "bigint" ? v.toString() : v))}`,
      );
    await new Promise((r) => setTimeout(r, intervalMs));
    last = await probe();
  }
  return last;
}

/** Resolves once the group has committed every record currently in the topic. */
export async function waitForGroupCaughtUp(
  kafka: Kafka,
  groupId: string,
  topic: string,
  timeoutMs = 30_000,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    await waitFor(
      async () => {
        const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
        return ends.every((end) => {
          const c = committed?.partitions.find((p) => p.partition === end.partition);
          return Number(end.high) === 0 || (c !== undefined && Number(c.offset) >= Number(end.high));
        });
      },
      (ok) => ok,
      { timeoutMs, what: `group ${groupId} to catch up on ${topic}` },
    );
  } finally {
    await admin.disconnect();
  }
}

export type RawRecord = { partition: number; key: string | null; value: string; headers: Record<string, string> };

/** The items a packed topic's records carry (v1, or v2 as producers send them), in order; records that fail to decode (other tests' poison) are skipped. */
function itemsOnTopic<T>(records: { value: string }[], schema: z.ZodType<Unpacked<T, unknown>>): T[] {
  return records.flatMap((r) => {
    let json: unknown;
    try {
      json = JSON.parse(r.value);
    } catch {
      return [];
    }
    const parsed = schema.safeParse(json);
    return parsed.success ? parsed.data.items : [];
  });
}

/** The CDRs on a CDR topic, as v1 wire CDRs. */
export const cdrsOnTopic = (records: { value: string }[]): UsageCdrWire[] =>
  itemsOnTopic(records, usageCdrRecord).map((c) => JSON.parse(usageCdrV1Json(c)) as UsageCdrWire);

/** The status events on message-status. */
export const statusEventsOnTopic = (records: { value: string }[]): MessageStatusEvent[] =>
  itemsOnTopic(records, messageStatusRecord);

/** The messages on bulk-topic. */
export const bulkOnTopic = (records: { value: string }[]): BulkMessage[] => itemsOnTopic(records, bulkMessageRecord);

/** The messages on a billing or send lane. */
export const routedOnTopic = (records: { value: string }[]): RoutedMessage[] =>
  itemsOnTopic(records, routedMessageRecord);

/** How many partitions a topic has. */
export async function partitionCount(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    return topics[0]!.partitions.length;
  } finally {
    await admin.disconnect();
  }
}

/** Reads a topic (or several, as one stream) from the beginning with a fresh group until `done` holds. */
export async function readTopic(
  kafka: Kafka,
  name: string | string[],
  done: (records: RawRecord[]) => boolean,
  timeoutMs = 60_000,
): Promise<RawRecord[]> {
  const consumer = kafka.consumer({ groupId: `reader-${Date.now()}-${Math.random()}` });
  const records: RawRecord[] = [];
  // A rebalance of the reader's group hands out uncommitted records again: count each offset once.
  const seen = new Set<string>();
  await consumer.connect();
  await consumer.subscribe({ topics: typeof name === "string" ? [name] : name, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const at = `${topic}:${partition}:${message.offset}`;
      if (seen.has(at)) return;
      seen.add(at);
      records.push({
        partition,
        key: message.key?.toString() ?? null,
        value: message.value?.toString() ?? "",
        headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
      });
    },
  });
  try {
    await waitFor(async () => records, done, { what: `records on ${name}`, timeoutMs });
    return records;
  } finally {
    await consumer.disconnect();
  }
}

/** How many of a table's updates were heap-only (HOT) so far (statistics arrive within seconds of a write). */
export async function hotUpdatesOf(pool: Pool, table: string): Promise<number> {
  const { rows } = await pool.query<{ hot: string }>(
    "SELECT n_tup_hot_upd::text AS hot FROM pg_stat_user_tables WHERE relname = $1",
    [table],
  );
  return Number(rows[0]!.hot);
}

/** The columns any index of a table names, and its storage options (fillfactor…). */
export async function indexesAndOptions(pool: Pool, table: string) {
  const { rows } = await pool.query<{ attname: string }>(
    `SELECT DISTINCT a.attname FROM pg_index i
     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
     WHERE i.indrelid = $1::regclass`,
    [table],
  );
  const { rows: options } = await pool.query<{ reloptions: string[] | null }>(
    "SELECT reloptions FROM pg_class WHERE oid = $1::regclass",
    [table],
  );
  return { indexed: rows.map((r) => r.attname), options: options[0]!.reloptions ?? [] };
}
