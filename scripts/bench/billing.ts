import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readdirSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { settledKey } from "../../server/billing/deduction-worker";
import { closeDb, createDb } from "../../server/db";
import { env } from "../../server/env";
import { createKafka, createProducer, ensureTopics } from "../../server/kafka/client";
import { kafkaConfig } from "../../server/kafka/config";
import { LANES } from "../../server/billing/lanes";
import { cdrPacking, TOPICS, type PackedCdrWire } from "../../server/kafka/topics";
import { createLogger } from "../../server/logger";
import { createRedis } from "../../server/redis";
import { WORKER_NODE_FLAGS, WORKER_NODE_OPTIONS } from "../worker-node";

// Prepaid deduction throughput: N CDRs (default 1,000,000) over M accounts
// (default 10,000) through the real prepaid-manager process (node --import
// tsx, the heap cap every worker runs with) against the real Kafka, Postgres
// and Redis, next to a naive baseline measured in the same run that debits one
// CDR per transaction (INSERT ledger + UPDATE account, 8 connections) on a
// smaller sample. All CDRs are produced first (produce rate), then the worker
// starts and the clock runs until its group has committed every offset, which
// it does only after the debits are committed (apply rate). Topics go under a
// throwaway prefix; accounts, ledger rows, Redis keys, topics and the consumer
// group are removed at the end. The last line is JSON: cdrsPerSec is the apply
// rate, ratio = apply rate / baseline rate.
//
//   npm run bench:billing -- --cdrs 1000000 --accounts 10000
//   options: --baseline-cdrs 20000 --batch 20000 --concurrency 3 --consumers 3 --partitions 6 --workers 1
//            --profile <dir> --node-options "<extra V8 flags for the worker>"
//            --envelope v1 (one record per CDR instead of the gate's packed v2 records)

function textArg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function arg(name: string, fallback: number): number {
  const n = Number(textArg(name));
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

const config = env();
const cdrCount = arg("cdrs", 1_000_000);
const accountCount = arg("accounts", 10_000);
const baselineCount = Math.min(arg("baseline-cdrs", 20_000), cdrCount);
const batchSize = arg("batch", config.DEDUCTION_BATCH_SIZE);
const concurrency = arg("concurrency", config.DEDUCTION_CONCURRENCY);
const consumers = arg("consumers", config.DEDUCTION_CONSUMERS);
const partitions = arg("partitions", config.KAFKA_DEFAULT_PARTITIONS);
// Worker processes in the one consumer group (each gets its share of the partitions).
const workerCount = arg("workers", 1);
// Writes a V8 CPU profile of the worker there (open it in Chrome DevTools).
const profileDir = textArg("profile");
// Extra V8 flags for the worker, after the heap cap every worker runs with.
const workerNodeOptions = `${WORKER_NODE_OPTIONS} ${textArg("node-options") ?? ""}`.trim();
// The CDRs are produced as the prepaid gate produces them: one gate batch's worth at a
// time, packed per partition (v2); or one record per CDR (v1), as before v2 existed.
const envelope = textArg("envelope") === "v1" ? "v1" : "v2";
const GATE_BATCH = LANES.PREPAID.low.batch;
const BASELINE_CONNECTIONS = 8;
const OPENING = 1_000_000_000_000n;

const log = createLogger("bench");
const db = createDb({
  url: config.DATABASE_URL,
  poolSize: BASELINE_CONNECTIONS + 2,
  randomPageCost: config.DATABASE_RANDOM_PAGE_COST,
});
const redis = createRedis(config.REDIS_URL);
const prefix = `bench-${Date.now().toString(36)}-`;
const group = `${prefix}prepaid-manager`;
const kafkaCfg = {
  ...kafkaConfig(config),
  topicPrefix: prefix,
  partitionOverrides: {
    ...config.KAFKA_TOPIC_PARTITIONS,
    [TOPICS.usageCdrLow.name]: partitions,
    [TOPICS.usageCdrHigh.name]: partitions,
  },
};
const kafka = createKafka(kafkaCfg, log);
const lowTopic = prefix + TOPICS.usageCdrLow.name;
const accountIds = Array.from({ length: accountCount }, (_, i) => `${prefix}acc-${i}`);
let clientId: string | undefined;
let planId: string | undefined;
const workers: ChildProcess[] = [];

const at = new Date().toISOString();
function cdr(k: number, kind: "kafka" | "base"): PackedCdrWire {
  const unitPrice = BigInt(1 + (k % 5));
  const segments = 1 + (k % 3);
  const id = `${prefix}${kind}-${k}`;
  return {
    cdrId: id,
    messageId: id,
    accountId: accountIds[k % accountCount]!,
    clientId: clientId!,
    campaignId: null,
    category: "MARKETING",
    recipient: `+4479${String(10_000_000 + (k % 89_999_999)).padStart(8, "0")}`,
    segments,
    unitPrice: unitPrice.toString(),
    amount: (unitPrice * BigInt(segments)).toString(),
    currency: "USD",
  };
}

async function createAccounts() {
  const plan = await db.prisma.ratePlan.create({ data: { name: `bench-${prefix}`, defaultPricePerSegment: 1n } });
  planId = plan.id;
  const client = await db.prisma.client.create({
    data: { name: `bench-${prefix}`, billingType: "PREPAID", ratePlanId: plan.id },
  });
  clientId = client.id;
  await db.pool.query(
    `INSERT INTO accounts (id, client_id, currency, balance, updated_at)
     SELECT id, $2, 'USD', $3::bigint, now() FROM unnest($1::text[]) AS t(id)`,
    [accountIds, client.id, OPENING.toString()],
  );
}

/** One CDR per transaction, 8 at a time: what a per-message debit costs. */
async function runBaseline(): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: BASELINE_CONNECTIONS }, async () => {
      const client = await db.pool.connect();
      try {
        for (let k = next++; k < baselineCount; k = next++) {
          const c = cdr(k, "base");
          await client.query("BEGIN");
          const { rows } = await client.query<{ amount: string }>(
            `INSERT INTO ledger_entries (account_id, type, amount, reference, message_id, created_at)
             VALUES ($1, 'CHARGE', $2::bigint, $3, $4, $5) ON CONFLICT (reference) DO NOTHING RETURNING amount::text`,
            [c.accountId, `-${c.amount}`, `cdr:${c.cdrId}`, c.messageId, at],
          );
          if (rows[0]) {
            await client.query("UPDATE accounts SET balance = balance + $2::bigint, updated_at = now() WHERE id = $1", [
              c.accountId,
              rows[0].amount,
            ]);
          }
          await client.query("COMMIT");
        }
      } finally {
        client.release();
      }
    }),
  );
  return baselineCount / ((performance.now() - started) / 1000);
}

async function produceAll(): Promise<{ rate: number; startedAt: number }> {
  const producer = await createProducer(kafka);
  const chunk = GATE_BATCH;
  const inFlight = 4;
  const packing = cdrPacking(at);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      for (let from = next, to; from < cdrCount; from = next) {
        to = Math.min(from + chunk, cdrCount);
        next = to;
        const cdrs = [];
        for (let k = from; k < to; k++) cdrs.push(cdr(k, "kafka"));
        if (envelope === "v2") await producer.sendPacked(lowTopic, packing, cdrs);
        else
          await producer.send(
            lowTopic,
            cdrs.map((c) => ({ key: c.accountId, value: JSON.stringify({ v: 1, ...c, at }) })),
          );
      }
    }),
  );
  const rate = cdrCount / ((performance.now() - started) / 1000);
  await producer.disconnect();
  return { rate, startedAt: started };
}

type CpuSample = Map<number, { group: string; seconds: number }>;

/** CPU seconds used so far by every process, tagged with the part of the stack it belongs to. */
function sampleCpu(workerPids: number[]): CpuSample {
  const tick = 100; // USER_HZ
  const out: CpuSample = new Map();
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    let stat: string;
    let cmdline: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    } catch {
      continue;
    }
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const group = workerPids.includes(Number(pid))
      ? "worker"
      : Number(pid) === process.pid
        ? "bench"
        : comm.startsWith("postgres")
          ? "postgres"
          : cmdline.includes("kafka.Kafka")
            ? "kafka"
            : comm.startsWith("redis")
              ? "redis"
              : "other";
    out.set(Number(pid), { group, seconds: (Number(fields[11]) + Number(fields[12])) / tick });
  }
  return out;
}

/** Cores used per group between two samples (processes that started in between count from zero). */
function coresUsed(before: CpuSample, after: CpuSample, seconds: number): Record<string, number> {
  const out: Record<string, number> = { worker: 0, postgres: 0, kafka: 0, redis: 0, bench: 0, other: 0 };
  for (const [pid, { group, seconds: used }] of after) {
    out[group] = (out[group] ?? 0) + (used - (before.get(pid)?.seconds ?? 0)) / seconds;
  }
  return out;
}

/** The process's peak resident memory (VmHWM), in MB. */
function peakRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

async function committedCount(admin: ReturnType<typeof kafka.admin>): Promise<number> {
  const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [lowTopic] });
  return (offsets?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
}

/** Records on the topic (v2 packs many CDRs in one): the worker is done when its group has committed them all. */
async function producedCount(admin: ReturnType<typeof kafka.admin>): Promise<number> {
  return (await admin.fetchTopicOffsets(lowTopic)).reduce((sum, p) => sum + Number(p.high), 0);
}

function metricValue(text: string, name: string): number {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(text);
  return m ? Number(m[1]) : NaN;
}

function startWorker(): { child: ChildProcess; ready: Promise<number> } {
  const profile = profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [];
  const child = spawn(
    process.execPath,
    [...profile, ...WORKER_NODE_FLAGS, "--import", "tsx", "workers/prepaid-manager.ts"],
    {
      env: {
        ...process.env,
        NODE_OPTIONS: workerNodeOptions,
        KAFKA_TOPIC_PREFIX: prefix,
        KAFKA_TOPIC_PARTITIONS: `${TOPICS.usageCdrLow.name}=${partitions},${TOPICS.usageCdrHigh.name}=${partitions}`,
        DEDUCTION_BATCH_SIZE: String(batchSize),
        DEDUCTION_CONCURRENCY: String(concurrency),
        DEDUCTION_CONSUMERS: String(consumers),
        HEALTH_PORT: "0",
        LOG_LEVEL: "info",
      },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  workers.push(child);
  const ready = new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; healthPort?: number; level?: number };
        if (entry.msg === "prepaid-manager started") resolve(entry.healthPort!);
        else if ((entry.level ?? 0) >= 40) console.error(line);
      } catch {
        console.error(line);
      }
    });
    child.once("exit", (code, signal) => reject(new Error(`prepaid-manager exited (${signal ?? code})`)));
  });
  return { child, ready };
}

const isRunning = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

async function runDeduction() {
  const spawnedAt = performance.now();
  const started = Array.from({ length: workerCount }, startWorker);
  // The clock starts when the first worker has joined the group.
  await Promise.race(started.map((w) => w.ready));
  const readyAt = performance.now();
  const pids = started.map((w) => w.child.pid!);
  const cpuStart = sampleCpu(pids);
  const healthPorts = await Promise.all(started.map((w) => w.ready));

  const admin = kafka.admin();
  await admin.connect();
  let firstCommitAt: number | undefined;
  try {
    const records = await producedCount(admin);
    for (;;) {
      const done = await committedCount(admin);
      if (done > 0) firstCommitAt ??= performance.now();
      if (done >= records) break;
      const dead = started.find((w) => !isRunning(w.child));
      if (dead) throw new Error(`prepaid-manager exited (${dead.child.signalCode ?? dead.child.exitCode})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await admin.disconnect();
  }
  const doneAt = performance.now();
  const cpuEnd = sampleCpu(pids);
  const peakRssMb = Math.max(...pids.map(peakRss));
  const metricsTexts = await Promise.all(
    healthPorts.map(async (port) => (await fetch(`http://127.0.0.1:${port}/metrics`)).text()),
  );
  await stopWorkers();

  const applySeconds = (doneAt - readyAt) / 1000;
  const cores = coresUsed(cpuStart, cpuEnd, applySeconds);
  const sum = (name: string) => metricsTexts.reduce((total, text) => total + metricValue(text, name), 0);
  const deductSum = sum("volley_deduction_batch_seconds_sum");
  const deductCount = sum("volley_deduction_batch_seconds_count");
  const chunkSum = sum("volley_kafka_batch_seconds_sum");
  return {
    startupSeconds: (readyAt - spawnedAt) / 1000,
    applySeconds,
    firstCommitSeconds: ((firstCommitAt ?? doneAt) - readyAt) / 1000,
    applyRate: cdrCount / applySeconds,
    cores,
    batches: deductCount,
    avgBatch: cdrCount / deductCount,
    deductSeconds: deductSum,
    decodeSeconds: chunkSum - deductSum,
    peakRssMb,
    doneAt,
  };
}

async function stopWorkers() {
  await Promise.all(
    workers.filter(isRunning).map(async (child) => {
      child.kill("SIGTERM");
      await once(child, "exit");
    }),
  );
  workers.length = 0;
}

async function verify(expectedRows: number, expectedDebit: bigint) {
  const { rows } = await db.pool.query<{ n: number; total: string; balances: string }>(
    `SELECT (SELECT count(*)::int FROM ledger_entries WHERE account_id = ANY($1::text[])) AS n,
            (SELECT coalesce(sum(amount), 0)::text FROM ledger_entries WHERE account_id = ANY($1::text[])) AS total,
            (SELECT sum(balance)::text FROM accounts WHERE id = ANY($1::text[])) AS balances`,
    [accountIds],
  );
  const r = rows[0]!;
  const ok =
    r.n === expectedRows &&
    BigInt(r.total) === -expectedDebit &&
    BigInt(r.balances) === OPENING * BigInt(accountCount) - expectedDebit;
  const sample = accountIds.slice(0, 100);
  const snapshots = await redis.mget(sample.map(settledKey));
  const { rows: balances } = await db.pool.query<{ id: string; balance: string }>(
    "SELECT id, balance::text AS balance FROM accounts WHERE id = ANY($1::text[])",
    [sample],
  );
  const snapshotsOk = balances.every((b) => snapshots[sample.indexOf(b.id)] === b.balance);
  return { ok: ok && snapshotsOk, rows: r.n };
}

async function cleanUp() {
  await stopWorkers();
  const admin = kafka.admin();
  await admin.connect().catch(() => undefined);
  // A worker that died keeps its place in the group until its session times out (10 s).
  for (let attempt = 0; attempt < 15; attempt++) {
    const deleted = await admin.deleteGroups([group]).then(
      () => true,
      (err: { groups?: { errorCode: number }[] }) => err.groups?.every((g) => g.errorCode === 69) ?? false,
    );
    if (deleted) break;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  const topics = (await admin.listTopics().catch(() => [] as string[])).filter((t) => t.startsWith(prefix));
  if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect().catch(() => undefined);
  for (let i = 0; i < accountIds.length; i += 5_000) {
    await redis.unlink(...accountIds.slice(i, i + 5_000).map(settledKey)).catch(() => undefined);
  }
  await db.pool.query("DELETE FROM ledger_entries WHERE account_id = ANY($1::text[])", [accountIds]);
  await db.pool.query("DELETE FROM accounts WHERE id = ANY($1::text[])", [accountIds]);
  if (clientId) await db.prisma.client.delete({ where: { id: clientId } }).catch(() => undefined);
  if (planId) await db.prisma.ratePlan.delete({ where: { id: planId } }).catch(() => undefined);
  // Autovacuum may be off (it is on the CI machine): leave the next run no bloated ledger.
  await db.pool.query("VACUUM ledger_entries, accounts");
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
try {
  await ensureTopics(kafka, kafkaCfg);
  await createAccounts();
  const baselinePerSec = await runBaseline();
  const produced = await produceAll();
  const run = await runDeduction();
  const endToEndRate = cdrCount / ((run.doneAt - produced.startedAt) / 1000);

  let expectedDebit = 0n;
  for (let k = 0; k < cdrCount; k++) expectedDebit += BigInt((1 + (k % 5)) * (1 + (k % 3)));
  for (let k = 0; k < baselineCount; k++) expectedDebit += BigInt((1 + (k % 5)) * (1 + (k % 3)));
  const check = await verify(cdrCount + baselineCount, expectedDebit);

  const ratio = run.applyRate / baselinePerSec;
  const row = (label: string, value: string) => console.log(`${label.padEnd(34)} ${value}`);
  row("CDRs / accounts", `${fmt(cdrCount)} / ${fmt(accountCount)}`);
  row(
    "worker settings",
    `${workerCount} × prepaid-manager, batch ${batchSize}, concurrency ${concurrency} over ${consumers} group members, ${partitions} partitions, ${workerNodeOptions}`,
  );
  row(
    "produce (pre-loaded, 1 producer)",
    `${fmt(produced.rate)} CDR/s, ${envelope === "v2" ? `v2 (gate batches of ${fmt(GATE_BATCH)} packed per partition)` : "v1 (one record per CDR)"}`,
  );
  row("worker start-up (spawn → joined)", `${run.startupSeconds.toFixed(1)} s (not timed)`);
  row("apply (joined → all committed)", `${fmt(run.applyRate)} CDR/s (${run.applySeconds.toFixed(2)} s)`);
  row("  first offsets committed after", `${run.firstCommitSeconds.toFixed(2)} s`);
  row("  batches / average size", `${fmt(run.batches)} / ${fmt(run.avgBatch)} CDRs`);
  row("  Σ time in deductBatch + Redis", `${run.deductSeconds.toFixed(2)} s (concurrent batches overlap)`);
  row("  Σ time decoding (kafka chunk − deduct)", `${run.decodeSeconds.toFixed(2)} s`);
  row(
    "  CPU cores used while applying",
    Object.entries(run.cores)
      .map(([k, v]) => `${k} ${v.toFixed(2)}`)
      .join(", "),
  );
  row("  worker peak RSS", `${Math.round(run.peakRssMb)} MB (per process; heap cap 128 MB old space)`);
  row(
    `baseline (1 CDR/txn, ${BASELINE_CONNECTIONS} conns)`,
    `${fmt(baselinePerSec)} CDR/s (sample of ${fmt(baselineCount)} CDRs, Postgres only, no Kafka)`,
  );
  row("end to end (first produced → applied)", `${fmt(endToEndRate)} CDR/s (produce + start-up + apply)`);
  row("ratio (apply / baseline)", `${ratio.toFixed(1)}×`);
  row("ledger/balances/Redis verified", check.ok ? `yes (${fmt(check.rows)} ledger rows)` : "NO");
  if (!check.ok) process.exitCode = 1;
  console.log(
    JSON.stringify({
      cdrsPerSec: Math.round(run.applyRate),
      baselinePerSec: Math.round(baselinePerSec),
      ratio: Math.round(ratio * 10) / 10,
    }),
  );
} finally {
  await cleanUp().catch((err) => console.error("cleanup failed", err));
  redis.disconnect();
  await closeDb(db);
}
