import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import net from "node:net";
import { createInterface } from "node:readline";
import { z } from "zod";
import { createCampaign, launchCampaign } from "../../server/campaigns/service";
import { createCampaignInput } from "../../server/campaigns/schemas";
import { closeDb, createDb } from "../../server/db";
import { MAX_BINDS, smppProviderSettingsSchema } from "../../server/delivery/providers/schemas";
import { env } from "../../server/env";
import { createKafka, createProducer, ensureTopics, type OutgoingRecord } from "../../server/kafka/client";
import { kafkaConfig } from "../../server/kafka/config";
import { TOPICS, type RoutedMessage } from "../../server/kafka/topics";
import { createLogger } from "../../server/logger";
import { createRedis } from "../../server/redis";
import { createUploadFromStream } from "../../server/uploads/service";
import { WORKER_NODE_FLAGS, WORKER_NODE_OPTIONS } from "../worker-node";

// End to end: a prepaid campaign of N recipients (default 200,000) through every stage, from launch to a final
// status per message with receipts from the SMSC simulator, on the local Postgres, Redis and Kafka. Every stage is
// its own process, spawned as run-all.ts does (node --import tsx, the workers' 128 MB heap cap), under a throwaway
// topic prefix, simulator namespace and provider. The clock runs from launch until every message is final. Beside
// it, in the same run and before the workers start, N messages of a routed message's size go through a scratch
// topic with the same Kafka client (produce + consume): the raw baseline. Per stage, the rate is the records its
// consumer group committed over the time it was busy (offsets sampled every second). Peak RSS is each process's
// VmHWM, read just before it is stopped. Everything the run created is removed at the end unless --keep.
// The last line is one JSON object.
//
//   npm run bench:e2e -- --recipients 200000
//   options: --partitions 6 --receipt-delay-ms 50 --binds 1 --window 200 --receipt-window 200 --keep
//            --profile <dir> (a V8 CPU profile of every worker, written when it stops; open in Chrome DevTools)
//            --node-options "<extra V8 flags for every worker>"

const args = z
  .object({
    recipients: z.coerce.number().int().min(1).max(2_900_000).default(200_000),
    partitions: z.coerce.number().int().min(1).max(1000).optional(),
    "receipt-delay-ms": z.coerce.number().int().min(0).max(60_000).default(50),
    // SMPP sessions bulk-proc binds to the simulator (the provider row's binds).
    binds: z.coerce.number().int().min(1).max(MAX_BINDS).default(1),
    // submit_sm outstanding per bind (the provider row's windowSize).
    window: z.coerce.number().int().min(1).max(1000).default(200),
    // deliver_sm receipts the simulator has outstanding per session (SMSC_RECEIPT_WINDOW).
    "receipt-window": z.coerce.number().int().min(1).max(10_000).default(200),
    keep: z.boolean().default(false),
    profile: z.string().optional(),
    "node-options": z.string().optional(),
  })
  .parse(parseArgv(process.argv.slice(2)));

function parseArgv(argv: string[]): Record<string, string | boolean> {
  const out: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i]!.replace(/^--/, "");
    const next = argv[i + 1];
    // --node-options takes V8 flags as its value ("--single-threaded-gc"), which look like options themselves.
    if (next === undefined || (next.startsWith("--") && name !== "node-options")) out[name] = true;
    else out[name] = argv[++i]!;
  }
  return out;
}

const config = env();
const N = args.recipients;
const partitions = args.partitions ?? config.KAFKA_DEFAULT_PARTITIONS;
const runId = Date.now().toString(36);
const prefix = `bench-e2e-${runId}-`;
const namespace = `bench-e2e-${runId}`;
const FINAL = ["DELIVERED", "UNDELIVERABLE", "EXPIRED", "REJECTED", "FAILED", "CANCELLED"];
const SENDER = "BENCH";
const TEMPLATE = "Hi {{name}}, your code is {{code}}. Reply STOP to opt out";

const log = createLogger("bench");
const db = createDb({ url: config.DATABASE_URL, poolSize: 4, randomPageCost: config.DATABASE_RANDOM_PAGE_COST });
const redis = createRedis(config.REDIS_URL);
const kafkaCfg = { ...kafkaConfig(config), topicPrefix: prefix, defaultPartitions: partitions };
const kafka = createKafka(kafkaCfg, log);
const admin = kafka.admin();

// What the run created, for the clean-up.
const created: {
  planId?: string;
  clientId?: string;
  accountId?: string;
  providerId?: string;
  ruleId?: string;
  uploadId?: string;
  campaignId?: string;
} = {};

// ---------------------------------------------------------------- processes

type Stage =
  | "smsc-simulator"
  | "launcher"
  | "scheduler"
  | "validator"
  | "status-writer"
  | "prepaid-high"
  | "prepaid-low"
  | "prepaid-manager"
  | "refunds"
  | "bulk-proc";
const WORKERS: Stage[] = [
  "launcher",
  "scheduler",
  "validator",
  "status-writer",
  "prepaid-high",
  "prepaid-low",
  "prepaid-manager",
  "refunds",
  "bulk-proc",
];

type Proc = {
  name: Stage;
  child: ChildProcess;
  healthPort: number;
  maxRssMb: number;
  peakRssMb: number;
  cpuAtLaunch: number;
  cpuAtDone: number;
  gcAtLaunch: number;
  gcAtDone: number;
  eventLoopP99Ms: number;
};
const procs: Proc[] = [];
// However the benchmark ends (even by an uncaught error), none of its workers outlives it: a simulator left behind
// would hold its port and Redis namespace, and workers their consumer groups.
process.on("exit", () => {
  for (const p of procs) if (isRunning(p.child)) p.child.kill("SIGKILL");
});

/** The preferred port if nothing listens on it, else the next free one after it. */
async function freePort(preferred: number, taken: Set<number>): Promise<number> {
  for (let port = preferred; port < preferred + 100; port++) {
    if (taken.has(port)) continue;
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once("error", () => resolve(false));
      server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
    });
    if (free) {
      taken.add(port);
      return port;
    }
  }
  throw new Error(`no free port in ${preferred}–${preferred + 99}`);
}

const isRunning = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

function startProcess(name: Stage, healthPort: number, extraEnv: Record<string, string>): Proc {
  // One folder per stage: tsx's loader thread writes a profile of its own beside the main thread's.
  const profile = args.profile ? ["--cpu-prof", `--cpu-prof-dir=${args.profile}/${name}`] : [];
  // On the command line, not in NODE_OPTIONS: some V8 flags are refused there.
  const extra = [...WORKER_NODE_FLAGS, ...(args["node-options"]?.split(/\s+/).filter(Boolean) ?? [])];
  const child = spawn(process.execPath, [...profile, ...extra, "--import", "tsx", `workers/${name}.ts`], {
    env: {
      ...process.env,
      // The heap cap every worker runs with (scripts/worker-node.ts, docker-compose.yml).
      NODE_OPTIONS: WORKER_NODE_OPTIONS,
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_DEFAULT_PARTITIONS: String(partitions),
      HEALTH_PORT: String(healthPort),
      LOG_LEVEL: "warn",
      ...extraEnv,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  // Warnings and errors are passed on (a few per process), so a stuck stage says why.
  let shown = 0;
  const relay = (line: string) => {
    if (shown++ < 20) console.error(`[${name}] ${line.slice(0, 2_000)}`);
  };
  createInterface({ input: child.stdout! }).on("line", relay);
  createInterface({ input: child.stderr! }).on("line", relay);
  const proc: Proc = {
    name,
    child,
    healthPort,
    maxRssMb: 0,
    peakRssMb: 0,
    cpuAtLaunch: 0,
    cpuAtDone: 0,
    gcAtLaunch: 0,
    gcAtDone: 0,
    eventLoopP99Ms: 0,
  };
  procs.push(proc);
  return proc;
}

async function waitReady(proc: Proc, timeoutMs = 240_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isRunning(proc.child)) throw new Error(`${proc.name} exited during start-up (${proc.child.exitCode})`);
    if (interrupted) throw new Error("interrupted");
    const ok = await fetch(`http://127.0.0.1:${proc.healthPort}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${proc.name} not ready after ${timeoutMs / 1000} s`);
    await sleep(500);
  }
}

async function stopProcesses(list: Proc[]): Promise<void> {
  await Promise.all(
    list
      .filter((p) => isRunning(p.child))
      .map(async (p) => {
        p.child.kill("SIGTERM");
        const killer = setTimeout(() => p.child.kill("SIGKILL"), 45_000);
        if (isRunning(p.child)) await once(p.child, "exit");
        clearTimeout(killer);
      }),
  );
}

function procStatusMb(pid: number, field: "VmHWM" | "VmRSS"): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** utime + stime of one process, in seconds (USER_HZ = 100). */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** CPU seconds so far of the shared services (Postgres, Kafka, Redis), everything else, and this process. */
function infraCpu(): Record<string, number> {
  const ours = new Set(procs.map((p) => p.child.pid));
  const out: Record<string, number> = { postgres: 0, kafka: 0, redis: 0, bench: 0, others: 0 };
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    if (ours.has(Number(pid))) continue;
    let stat: string;
    let cmdline: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    } catch {
      continue;
    }
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const group =
      Number(pid) === process.pid
        ? "bench"
        : comm.startsWith("postgres")
          ? "postgres"
          : cmdline.includes("kafka.Kafka")
            ? "kafka"
            : comm.startsWith("redis")
              ? "redis"
              : "others";
    out[group]! += cpuSeconds(Number(pid));
  }
  return out;
}

// ---------------------------------------------------------------- set-up

/** N distinct UK mobiles, skipping the simulator's failure suffixes (0001–0004), 1,000,000 per range. */
function* phoneNumbers(count: number): Generator<string> {
  let made = 0;
  for (const range of ["+447400", "+447500", "+447800"]) {
    for (let i = 0; i < 1_000_000 && made < count; i++) {
      const last4 = i % 10_000;
      if (last4 >= 1 && last4 <= 4) continue;
      made++;
      yield range + String(i).padStart(6, "0");
    }
  }
}

/** The recipient file, in ~64 KiB pieces: never one string in memory. */
async function* csvFile(count: number): AsyncGenerator<Buffer> {
  let piece = "phone,name,code\n";
  let row = 0;
  for (const phone of phoneNumbers(count)) {
    row++;
    piece += `${phone},Name ${row},C${row % 997}\n`;
    if (piece.length >= 64 * 1024) {
      yield Buffer.from(piece);
      piece = "";
    }
  }
  if (piece) yield Buffer.from(piece);
}

async function setUp(smscPort: number) {
  const plan = await db.prisma.ratePlan.create({ data: { name: `bench-${prefix}`, defaultPricePerSegment: 1n } });
  created.planId = plan.id;
  const client = await db.prisma.client.create({
    data: {
      name: `bench-${prefix}`,
      billingType: "PREPAID",
      ratePlanId: plan.id,
      defaultCountry: "GB",
      timezone: "UTC",
      // One minor unit per segment, one segment each, and room to spare.
      accounts: { create: [{ balance: BigInt(N) * 2n + 1_000n }] },
      senderIds: { create: [{ value: SENDER, status: "APPROVED" }] },
    },
    include: { accounts: true },
  });
  created.clientId = client.id;
  created.accountId = client.accounts[0]!.id;
  const settings = smppProviderSettingsSchema.parse({
    host: "127.0.0.1",
    port: smscPort,
    systemId: config.SMSC_SYSTEM_ID,
    password: config.SMSC_PASSWORD,
    binds: args.binds,
    windowSize: args.window,
  });
  // Named with the prefix: the bench's bulk-proc binds only providers whose name starts with it.
  const provider = await db.prisma.provider.create({
    data: { name: `${prefix}smsc`, kind: "SMPP", maxTps: 0, settings },
  });
  created.providerId = provider.id;
  // The client's own catch-all rule beats any rule for any client.
  const rule = await db.prisma.routingRule.create({
    data: { clientId: client.id, prefix: "", providerIds: [provider.id], position: 0 },
  });
  created.ruleId = rule.id;

  const uploadStarted = performance.now();
  const upload = await createUploadFromStream(db, csvFile(N), {
    fileName: "bench-e2e.csv",
    maxBytes: 2 ** 31,
    operatorId: null,
  });
  created.uploadId = upload.id;
  const uploadSeconds = (performance.now() - uploadStarted) / 1000;
  if (upload.validRowCount !== N) throw new Error(`upload has ${upload.validRowCount} valid rows, expected ${N}`);
  const campaign = await createCampaign(
    { db, uploadMaxBytes: config.UPLOAD_MAX_BYTES },
    createCampaignInput.parse({
      clientId: client.id,
      name: `bench ${prefix}`,
      senderId: SENDER,
      template: TEMPLATE,
      category: "MARKETING",
      recipients: { kind: "upload", uploadId: upload.id },
      allowDefer: false,
    }),
    null,
  );
  created.campaignId = campaign.id;
  return { clientId: client.id, accountId: created.accountId, campaignId: campaign.id, uploadSeconds };
}

// ---------------------------------------------------------------- baseline

/**
 * N records of a routed message's size through a scratch topic: the producer every stage uses (acks -1, 1,000
 * records per send, a few sends in flight, as the launcher and validator batch) and a consumer group with the
 * stages' settings consuming in batches; timed from the first send until the group has seen every record.
 */
async function runBaseline(sample: RoutedMessage): Promise<{ perSec: number; seconds: number; bytes: number }> {
  const topic = `${prefix}baseline`;
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic, numPartitions: partitions, replicationFactor: -1 }],
  });
  const consumer = kafka.consumer({
    groupId: `${prefix}baseline`,
    allowAutoTopicCreation: false,
    sessionTimeout: 10_000,
    heartbeatInterval: 3_000,
    maxBytesPerPartition: 4 * 1024 * 1024,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let seen = 0;
  let allSeen: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (allSeen = resolve));
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.run({
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary }) => {
      const last = batch.messages[batch.messages.length - 1];
      if (!last) return;
      seen += batch.messages.length;
      resolveOffset(last.offset);
      await commitOffsetsIfNecessary();
      await heartbeat();
      if (seen >= N) allSeen();
    },
  });
  // The pipeline's consumers are joined before its clock starts; so is this one.
  await joined;
  const producer = await createProducer(kafka);
  const value = JSON.stringify(sample);
  const batch = 1_000;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let from = next; from < N; from = next) {
        const to = Math.min(from + batch, N);
        next = to;
        const records: OutgoingRecord[] = [];
        for (let k = from; k < to; k++) {
          // Same size as the sample: only the row number (zero-padded to the same width) changes.
          const id = `${sample.campaignId}-${String(k).padStart(String(N).length, "0")}`;
          records.push({ key: id, value: value.replace(sample.messageId, id) });
        }
        await producer.send(topic, records);
      }
    }),
  );
  await done;
  const seconds = (performance.now() - started) / 1000;
  await producer.disconnect();
  await consumer.disconnect();
  return { perSec: N / seconds, seconds, bytes: Buffer.byteLength(value) };
}

// ---------------------------------------------------------------- sampling

/**
 * `items`: what the records of a packed topic carry, counted by the worker (volley_kafka_items_consumed_total; the
 * launcher, which has no group, by volley_messages_published_total).
 */
type StageSpec = { name: string; group?: string; topic: string; what: string; items?: string };
const STAGES: StageSpec[] = [
  {
    name: "launcher",
    topic: TOPICS.bulk.name,
    what: "bulk-topic records published (a launcher batch's messages packed per partition)",
    items: "messages",
  },
  {
    name: "validator",
    group: "validator",
    topic: TOPICS.bulk.name,
    what: "bulk-topic records",
    items: "messages",
  },
  {
    name: "prepaid-low",
    group: "prepaid-low",
    topic: TOPICS.prepaidLowBulk.name,
    what: "prepaid-low-bulk records (a validator batch's messages packed per partition)",
    items: "messages",
  },
  {
    name: "prepaid-manager",
    group: "prepaid-manager",
    topic: TOPICS.usageCdrLow.name,
    what: "usage-cdr-low records (a gate batch's CDRs packed per partition)",
    items: "CDRs",
  },
  {
    name: "bulk-proc",
    group: "bulk-proc-low",
    topic: TOPICS.sendLow.name,
    what: "send-low records (a gate batch's messages packed per partition)",
    items: "messages",
  },
  {
    name: "status-writer",
    group: "status-writer",
    topic: TOPICS.messageStatus.name,
    what: "message-status records (a batch's events packed per partition)",
    items: "status events",
  },
];

type Point = { t: number; done: number };
const series = new Map<string, Point[]>(STAGES.map((s) => [s.name, []]));
const finalSeries: Point[] = [];

type StageSample = { committed: number; end: number; partitionsUsed: number; partitions: number };

async function sumOffsets(topic: string, group?: string): Promise<StageSample> {
  const ends = await admin.fetchTopicOffsets(prefix + topic);
  const end = ends.reduce((n, p) => n + Number(p.high), 0);
  // Keyed topics put one account's messages on one partition: a stage can use only the partitions that have records.
  const spread = { partitionsUsed: ends.filter((p) => Number(p.high) > 0).length, partitions: ends.length };
  if (!group) return { committed: end, end, ...spread };
  const [offsets] = await admin.fetchOffsets({ groupId: prefix + group, topics: [prefix + topic] });
  const committed = (offsets?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
  return { committed, end, ...spread };
}

async function sampleStages(t: number): Promise<Record<string, StageSample>> {
  const out: Record<string, StageSample> = {};
  await Promise.all(
    STAGES.map(async (s) => {
      out[s.name] = await sumOffsets(s.topic, s.group);
      series.get(s.name)!.push({ t, done: out[s.name]!.committed });
    }),
  );
  for (const p of procs) p.maxRssMb = Math.max(p.maxRssMb, procStatusMb(p.child.pid!, "VmRSS"));
  return out;
}

/** prom-client samples event-loop delay with a 10 ms timer: what it reports includes that interval. */
const EVENT_LOOP_SAMPLING_MS = 10;

/**
 * From the worker's default metrics: seconds spent in garbage collection so far, every kind, and the 99th percentile
 * of its event-loop delay since the previous read (prom-client resets that histogram on every read), less the
 * sampling interval: how long a socket's data (a receipt, a submit_sm_resp) may wait before the worker gets to it.
 */
async function runtimeFigures(proc: Proc): Promise<{ gcSeconds: number; eventLoopP99Ms: number }> {
  const lines = await metricLines(proc);
  const gcSeconds = lines
    .filter((l) => l.startsWith("volley_nodejs_gc_duration_seconds_sum{"))
    .reduce((n, l) => n + sampleValue(l), 0);
  const p99 = lines.find((l) => l.startsWith("volley_nodejs_eventloop_lag_p99_seconds"));
  const eventLoopP99Ms = p99 ? Math.max(0, sampleValue(p99) * 1000 - EVENT_LOOP_SAMPLING_MS) : 0;
  return { gcSeconds, eventLoopP99Ms };
}

/** The worker's /metrics, a sample per line. */
async function metricLines(proc: Proc): Promise<string[]> {
  return (await (await fetch(`http://127.0.0.1:${proc.healthPort}/metrics`)).text()).split("\n");
}

/** A Prometheus text sample's value: what follows its last space. */
const sampleValue = (line: string) => Number(line.slice(line.lastIndexOf(" ") + 1));

/** Per packed stage, the items its worker's group consumed (from the worker's /metrics, read before it stops). */
async function stageItemCounts(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const s of STAGES.filter((st) => st.items)) {
    const proc = procs.find((p) => p.name === s.name);
    if (!proc) continue;
    const line = (await metricLines(proc)).find((l) =>
      s.group
        ? l.startsWith("volley_kafka_items_consumed_total{") &&
          l.includes(`group="${prefix}${s.group}"`) &&
          l.includes(`topic="${prefix}${s.topic}"`)
        : l.startsWith("volley_messages_published_total "),
    );
    if (line) out[s.name] = sampleValue(line);
  }
  return out;
}

async function campaignCounts(campaignId: string): Promise<{ counts: Record<string, number>; final: number }> {
  const { rows } = await db.pool.query<{ status: string; count: number }>(
    "SELECT status, count FROM campaign_counters WHERE campaign_id = $1 AND count <> 0",
    [campaignId],
  );
  const counts = Object.fromEntries(rows.map((r) => [r.status, r.count]));
  return { counts, final: rows.filter((r) => FINAL.includes(r.status)).reduce((n, r) => n + r.count, 0) };
}

/**
 * Records over the time the stage was busy: from between the last sample with nothing done and the first with
 * something, to between the last sample short of its total and the first at it (midpoints, so neither end is
 * favoured by the sampling interval).
 */
type BusyRate = { records: number; seconds: number; perSec: number; fromS: number; toS: number };

function busyRate(points: Point[], total: number, t0: number): BusyRate {
  if (total === 0 || points.length === 0) return { records: total, seconds: 0, perSec: 0, fromS: 0, toS: 0 };
  const firstSome = points.findIndex((p) => p.done > 0);
  const firstAll = points.findIndex((p) => p.done >= total);
  const start = firstSome <= 0 ? t0 : (points[firstSome - 1]!.t + points[firstSome]!.t) / 2;
  const end =
    firstAll < 0
      ? points[points.length - 1]!.t
      : firstAll === 0
        ? points[0]!.t
        : (points[firstAll - 1]!.t + points[firstAll]!.t) / 2;
  const seconds = Math.max(0.001, (end - start) / 1000);
  return { records: total, seconds, perSec: total / seconds, fromS: (start - t0) / 1000, toS: (end - t0) / 1000 };
}

// ---------------------------------------------------------------- clean-up

async function unlinkMatching(pattern: string): Promise<number> {
  let cursor = "0";
  let removed = 0;
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 5_000);
    cursor = next;
    if (keys.length > 0) removed += await redis.unlink(...keys);
  } while (cursor !== "0");
  return removed;
}

async function cleanUp(): Promise<void> {
  await stopProcesses(procs.filter((p) => p.name !== "smsc-simulator"));
  await stopProcesses(procs);
  if (args.keep) {
    console.error(
      `--keep: left topics ${prefix}*, simulator namespace ${namespace}, client ${created.clientId}, campaign ${created.campaignId}`,
    );
    return;
  }
  await admin.connect().catch(() => undefined);
  const groups = (await admin.listGroups().catch(() => ({ groups: [] }))).groups
    .map((g) => g.groupId)
    .filter((g) => g.startsWith(prefix));
  // A member that died keeps its place in the group until its session times out (10 s).
  for (let attempt = 0; attempt < 15 && groups.length > 0; attempt++) {
    const deleted = await admin.deleteGroups(groups).then(
      () => true,
      (err: { groups?: { errorCode: number }[] }) => err.groups?.every((g) => g.errorCode === 69) ?? false,
    );
    if (deleted) break;
    await sleep(1_000);
  }
  const topics = (await admin.listTopics().catch(() => [] as string[])).filter((t) => t.startsWith(prefix));
  if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect().catch(() => undefined);

  const { campaignId, clientId, accountId, providerId } = created;
  await unlinkMatching(`*${prefix}*`); // delivery:, billing:, invoices: keys of this run's namespace
  await unlinkMatching(`smsc:${namespace}:*`);
  if (campaignId) await unlinkMatching(`campaign:${campaignId}:*`);
  if (accountId) await unlinkMatching(`account:${accountId}:*`);
  if (clientId) await redis.unlink(`client:${clientId}:profile`);

  const q = (sql: string, params: unknown[]) => db.pool.query(sql, params);
  if (clientId) {
    await q("DELETE FROM messages WHERE client_id = $1", [clientId]);
    await q("DELETE FROM submissions WHERE client_id = $1", [clientId]);
  }
  if (providerId) await q("DELETE FROM provider_messages WHERE provider_id = $1", [providerId]);
  if (accountId) {
    await q("DELETE FROM ledger_entries WHERE account_id = $1", [accountId]);
    await q("DELETE FROM billing_events WHERE account_id = $1", [accountId]);
  }
  await q("DELETE FROM dead_letters WHERE starts_with(source_topic, $1)", [prefix]);
  if (campaignId) await q("DELETE FROM campaigns WHERE id = $1", [campaignId]);
  if (created.uploadId) await q("DELETE FROM uploads WHERE id = $1", [created.uploadId]);
  if (created.ruleId) await q("DELETE FROM routing_rules WHERE id = $1", [created.ruleId]);
  if (providerId) await q("DELETE FROM providers WHERE id = $1", [providerId]);
  if (clientId) await q("DELETE FROM clients WHERE id = $1", [clientId]);
  if (created.planId) await q("DELETE FROM rate_plans WHERE id = $1", [created.planId]);
  // Autovacuum may be off: leave the next run no bloated tables.
  await q("VACUUM messages, submissions, provider_messages, ledger_entries, upload_chunks", []);
}

// ---------------------------------------------------------------- run

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
let interrupted = false;
process.on("SIGINT", () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  console.error("interrupted: stopping and cleaning up (Ctrl-C again to leave everything as it is)");
});

async function main() {
  if (!existsSync("workers/bulk-proc.ts")) throw new Error("workers/bulk-proc.ts is missing: nothing would deliver");
  const taken = new Set<number>();
  const smscPort = await freePort(2795, taken);
  const smscHttpPort = await freePort(smscPort + 1, taken);
  await admin.connect();
  await ensureTopics(kafka, kafkaCfg);

  console.error(`bench ${prefix}: uploading ${fmt(N)} recipients…`);
  const setup = await setUp(smscPort);

  const sample: RoutedMessage = {
    v: 1,
    messageId: `${setup.campaignId}-${N}`,
    clientId: setup.clientId,
    accountId: setup.accountId,
    campaignId: setup.campaignId,
    billingType: "PREPAID",
    category: "MARKETING",
    recipient: "+447400123456",
    sender: SENDER,
    body: TEMPLATE.replace("{{name}}", `Name ${N}`).replace("{{code}}", "C123"),
    encoding: "GSM7",
    segments: 1,
    createdAt: new Date().toISOString(),
  };
  console.error("baseline: produce + consume on a scratch topic…");
  const baseline = await runBaseline(sample);
  if (interrupted) throw new Error("interrupted");

  const smscEnv = {
    SMSC_PORT: String(smscPort),
    SMSC_HTTP_PORT: String(smscHttpPort),
    SMSC_NAMESPACE: namespace,
    SMSC_RECEIPT_DELAY_MS: String(args["receipt-delay-ms"]),
    SMSC_STORE: "redis",
    SMSC_MAX_TPS: "0",
    SMSC_RECEIPT_WINDOW: String(args["receipt-window"]),
    SMSC_RATIO_UNDELIVERABLE: "0",
    SMSC_RATIO_EXPIRED: "0",
  };
  console.error(`starting the simulator and ${WORKERS.length} workers…`);
  const spawnedAt = performance.now();
  // The simulator first: bulk-proc is ready only once it is bound.
  const smsc = startProcess("smsc-simulator", await freePort(9300, taken), smscEnv);
  await waitReady(smsc);
  const workers: Proc[] = [];
  for (const name of WORKERS) {
    workers.push(
      startProcess(name, await freePort(9301, taken), {
        DELIVERY_PROVIDER_NAME_PREFIX: prefix,
        // The launcher picks the campaign up within 100 ms of launch rather than 500; the others keep their defaults.
        ...(name === "launcher" ? { POLL_INTERVAL_MS: "100" } : {}),
      }),
    );
  }
  await Promise.all(workers.map((w) => waitReady(w)));
  const startupSeconds = (performance.now() - spawnedAt) / 1000;

  const infraAtLaunch = infraCpu();
  for (const p of procs) p.cpuAtLaunch = cpuSeconds(p.child.pid!);
  // This read also resets each worker's event-loop delay histogram: the one at the end covers the run alone.
  for (const p of procs) p.gcAtLaunch = (await runtimeFigures(p)).gcSeconds;
  const t0 = performance.now();
  await launchCampaign({ db, redis, env: { KAFKA_TOPIC_PREFIX: prefix } }, setup.campaignId);
  console.error(`launched campaign ${setup.campaignId} (${fmt(N)} recipients)`);

  let final = 0;
  let counts: Record<string, number> = {};
  let lastSample = 0;
  let lastProgress = 0;
  let lastProgressAt = performance.now();
  let lastPrint = 0;
  let stages: Record<string, StageSample> = {};
  while (!interrupted) {
    const now = performance.now();
    ({ counts, final } = await campaignCounts(setup.campaignId));
    finalSeries.push({ t: now, done: final });
    if (final >= N) break;
    if (now - lastSample >= 1_000) {
      lastSample = now;
      stages = await sampleStages(now);
      const progress = Object.values(stages).reduce((n, s) => n + s.committed, final);
      if (progress !== lastProgress) [lastProgress, lastProgressAt] = [progress, now];
      if (now - lastProgressAt > 180_000) throw new Error("no progress for 3 minutes");
      const dead = procs.find((p) => !isRunning(p.child));
      if (dead) throw new Error(`${dead.name} exited (${dead.child.signalCode ?? dead.child.exitCode})`);
      if (now - lastPrint >= 5_000) {
        lastPrint = now;
        console.error(
          `${((now - t0) / 1000).toFixed(0).padStart(4)} s  final ${fmt(final)}  ` +
            STAGES.map((s) => `${s.name} ${fmt(stages[s.name]!.committed)}`).join("  "),
        );
      }
    }
    await sleep(200);
  }
  if (interrupted) throw new Error("interrupted");
  const doneAt = performance.now();
  const seconds = (doneAt - t0) / 1000;
  const infraAtDone = infraCpu();
  for (const p of procs) p.cpuAtDone = cpuSeconds(p.child.pid!);
  for (const p of procs) {
    const figures = await runtimeFigures(p);
    p.gcAtDone = figures.gcSeconds;
    p.eventLoopP99Ms = figures.eventLoopP99Ms;
  }
  // Last offsets: every stage has committed everything by now but may not have been sampled since.
  await sleep(1_500);
  stages = await sampleStages(performance.now());
  const smscStats = z
    .object({
      submitted: z.number(),
      messages: z.number(),
      duplicates: z.number(),
      contentDuplicates: z.number(),
      throttled: z.number(),
      receiptsSent: z.number(),
      receiptsPending: z.number(),
      boundSessions: z.unknown(),
    })
    .passthrough()
    .parse(await (await fetch(`http://127.0.0.1:${smscHttpPort}/stats`)).json());
  const campaign = await db.prisma.campaign.findUniqueOrThrow({ where: { id: setup.campaignId } });

  // VmHWM is the peak since the process started; read it just before each process stops.
  for (const p of procs) {
    p.peakRssMb = procStatusMb(p.child.pid!, "VmHWM");
    p.maxRssMb = Math.max(p.maxRssMb, procStatusMb(p.child.pid!, "VmRSS"));
  }
  const itemCounts = await stageItemCounts();
  await stopProcesses(workers);
  await stopProcesses([smsc]);

  const msgsPerSec = N / seconds;
  const stageRates = Object.fromEntries(
    STAGES.map((s) => [s.name, busyRate(series.get(s.name)!, stages[s.name]!.end, t0)]),
  );
  // Receipts → final statuses in Postgres (status-writer's counters), sampled every 200 ms.
  const finalRate = busyRate(finalSeries, N, t0);

  const row = (label: string, value: string) => console.log(`${label.padEnd(36)} ${value}`);
  console.log("");
  row("recipients", `${fmt(N)} (prefix ${prefix}, ${partitions} partitions per topic)`);
  row("upload (not timed)", `${setup.uploadSeconds.toFixed(1)} s`);
  row("start-up (not timed)", `${startupSeconds.toFixed(1)} s for ${procs.length} processes`);
  row("end to end (launch → all final)", `${fmt(msgsPerSec)} msgs/s (${seconds.toFixed(1)} s)`);
  row(
    "baseline (Kafka produce + consume)",
    `${fmt(baseline.perSec)} msgs/s (${baseline.seconds.toFixed(1)} s, ${baseline.bytes}-byte records)`,
  );
  row("ratio (end to end / baseline)", `${(msgsPerSec / baseline.perSec).toFixed(3)}`);
  console.log("per stage (records its group committed / time busy; for packed topics, the items they carried too):");
  for (const s of STAGES) {
    const r = stageRates[s.name]!;
    const spread = stages[s.name]!;
    const items = itemCounts[s.name];
    const carried =
      s.items && items !== undefined ? `, carrying ${fmt(items)} ${s.items}: ${fmt(items / r.seconds)} /s` : "";
    row(
      `  ${s.name}`,
      `${fmt(r.perSec)} /s  (${fmt(r.records)} ${s.what} in ${r.seconds.toFixed(1)} s, ` +
        `t+${r.fromS.toFixed(1)}–${r.toS.toFixed(1)} s, ${spread.partitionsUsed}/${spread.partitions} partitions${carried})`,
    );
  }
  row(
    "  final statuses",
    `${fmt(finalRate.perSec)} /s  (${fmt(N)} messages final in ${finalRate.seconds.toFixed(1)} s, ` +
      `t+${finalRate.fromS.toFixed(1)}–${finalRate.toS.toFixed(1)} s)`,
  );
  console.log(
    "per process (CPU, GC and event-loop delay p99 from launch to all final; peak RSS = VmHWM, max sampled VmRSS):",
  );
  for (const p of procs) {
    const cpu = p.cpuAtDone - p.cpuAtLaunch;
    const gc = p.gcAtDone - p.gcAtLaunch;
    row(
      `  ${p.name}`,
      `CPU ${cpu.toFixed(1)} s (${((cpu / seconds) * 100).toFixed(0)}% of a core), GC ${gc.toFixed(1)} s, ` +
        `loop p99 ${p.eventLoopP99Ms.toFixed(0)} ms  peak RSS ${p.peakRssMb.toFixed(0)} MB  (VmRSS max ${p.maxRssMb.toFixed(0)} MB)`,
    );
  }
  const infra = Object.fromEntries(Object.keys(infraAtDone).map((k) => [k, infraAtDone[k]! - (infraAtLaunch[k] ?? 0)]));
  for (const [name, cpu] of Object.entries(infra)) {
    row(`  ${name}`, `CPU ${cpu.toFixed(1)} s (${((cpu / seconds) * 100).toFixed(0)}% of a core)`);
  }
  // What a message costs the whole machine: comparable across runs on machines of different speed, next to the
  // baseline, and what a throughput target has to be divided into (2 cores at 15,000/s leave 133 µs a message).
  const cpuTotal =
    procs.reduce((n, p) => n + p.cpuAtDone - p.cpuAtLaunch, 0) + Object.values(infra).reduce((n, v) => n + v, 0);
  const cpuMicrosPerMsg = (cpuTotal / N) * 1e6;
  row(
    "  all processes",
    `CPU ${cpuTotal.toFixed(1)} s (${(cpuTotal / seconds).toFixed(2)} cores on average), ${fmt(cpuMicrosPerMsg)} µs per message`,
  );
  row("final statuses", JSON.stringify(counts));
  row("campaign", `${campaign.status}${campaign.completedAt ? "" : " (not completed yet)"}`);
  row(
    "simulator",
    `submitted ${fmt(smscStats.submitted)}, messages ${fmt(smscStats.messages)}, receipts ${fmt(smscStats.receiptsSent)}, ` +
      `throttled ${fmt(smscStats.throttled)}, duplicates ${smscStats.duplicates} (by content ${smscStats.contentDuplicates})`,
  );
  row("any message id submitted twice", smscStats.duplicates > 0 ? `YES (${smscStats.duplicates})` : "no");
  if (final < N || smscStats.duplicates > 0) process.exitCode = 1;

  const round = (n: number) => Math.round(n);
  console.log(
    JSON.stringify({
      msgsPerSec: round(msgsPerSec),
      baselineMsgsPerSec: round(baseline.perSec),
      ratio: Math.round((msgsPerSec / baseline.perSec) * 1000) / 1000,
      peakRssMb: Object.fromEntries(procs.map((p) => [p.name, round(p.peakRssMb)])),
      stages: {
        ...Object.fromEntries(
          Object.entries(stageRates).map(([k, r]) => [
            k,
            {
              perSec: round(r.perSec),
              records: r.records,
              seconds: Math.round(r.seconds * 10) / 10,
              partitionsUsed: stages[k]!.partitionsUsed,
              ...(itemCounts[k] !== undefined
                ? { items: itemCounts[k], itemsPerSec: round(itemCounts[k] / r.seconds) }
                : {}),
            },
          ]),
        ),
        final: { perSec: round(finalRate.perSec), records: N, seconds: Math.round(finalRate.seconds * 10) / 10 },
      },
      cpuSeconds: {
        ...Object.fromEntries(procs.map((p) => [p.name, Math.round((p.cpuAtDone - p.cpuAtLaunch) * 10) / 10])),
        ...Object.fromEntries(Object.entries(infra).map(([k, v]) => [k, Math.round(v * 10) / 10])),
      },
      gcSeconds: Object.fromEntries(procs.map((p) => [p.name, Math.round((p.gcAtDone - p.gcAtLaunch) * 10) / 10])),
      eventLoopP99Ms: Object.fromEntries(procs.map((p) => [p.name, Math.round(p.eventLoopP99Ms)])),
      cpuMicrosPerMsg: round(cpuMicrosPerMsg),
      seconds: Math.round(seconds * 10) / 10,
      recipients: N,
      final: counts,
      duplicates: smscStats.duplicates,
      // What the figures were measured with, so that runs with other settings are not compared unawares.
      settings: {
        partitions,
        binds: args.binds,
        window: args.window,
        receiptWindow: args["receipt-window"],
        receiptDelayMs: args["receipt-delay-ms"],
        nodeOptions: args["node-options"] ?? "",
      },
    }),
  );
}

try {
  await main();
} catch (err) {
  process.exitCode = 1;
  console.error("bench failed:", err);
} finally {
  await cleanUp().catch((err) => console.error("cleanup failed", err));
  redis.disconnect();
  await closeDb(db);
}
