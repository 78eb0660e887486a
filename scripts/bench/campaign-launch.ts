import { spawn } from "node:child_process";
import { once } from "node:events";
import { createReadStream, createWriteStream, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { closeDb, createDb } from "../../server/db";
import { env } from "../../server/env";
import { createKafka, ensureTopics } from "../../server/kafka/client";
import { kafkaConfig } from "../../server/kafka/config";
import { itemsIn } from "../../server/kafka/packed";
import { bulkMessageRecord, TOPICS } from "../../server/kafka/topics";
import { createLogger } from "../../server/logger";
import { createUploadFromStream } from "../../server/uploads/service";
import { WORKER_NODE_FLAGS, WORKER_NODE_OPTIONS } from "../worker-node";

// Launching a large campaign: uploads an N-row CSV (default 1,000,000), then
// runs the real launcher worker as its own process (node --import tsx, so the
// measured process is the launcher itself) until every row is on bulk-topic,
// sampling its RSS. Topics go under a throwaway prefix and are deleted after.
//
//   npm run bench:launch -- --rows 1000000

const rows = Number(process.argv[process.argv.indexOf("--rows") + 1] || 0) || 1_000_000;
const config = env();
const log = createLogger("bench");
const db = createDb({ url: config.DATABASE_URL, poolSize: 4, randomPageCost: config.DATABASE_RANDOM_PAGE_COST });
const prefix = `bench-${Date.now().toString(36)}-`;
const kafkaCfg = { ...kafkaConfig(config), topicPrefix: prefix };
const kafka = createKafka(kafkaCfg, log);
const dir = await mkdtemp(path.join(tmpdir(), "volley-bench-"));
const file = path.join(dir, "recipients.csv");
let clientId: string | undefined;
let campaignId: string | undefined;
let uploadId: string | undefined;

/** Reads the topic through once, counting its records and the messages they carry (v1 or packed v2). */
async function countMessagesOn(topic: string): Promise<{ records: number; messages: number }> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
  await admin.disconnect();
  const left = new Set([...ends].filter(([, high]) => high > 0).map(([partition]) => partition));
  const counted = { records: 0, messages: 0 };
  if (left.size === 0) return counted;
  const consumer = kafka.consumer({ groupId: `${prefix}count` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ partition, message }) => {
          counted.records++;
          counted.messages += itemsIn(bulkMessageRecord.parse(JSON.parse(message.value?.toString() ?? "")));
          if (Number(message.offset) + 1 >= ends.get(partition)!) left.delete(partition);
          if (left.size === 0) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return counted;
}

async function writeCsv() {
  const out = createWriteStream(file);
  out.write("phone,name,code\n");
  for (let i = 0; i < rows; i++) {
    const line = `+4479${String(10_000_000 + i).padStart(8, "0")},Name ${i},C${i % 997}\n`;
    if (!out.write(line)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
}

function rssOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024 };
}

try {
  await writeCsv();
  const uploadStart = Date.now();
  const upload = await createUploadFromStream(db, createReadStream(file, { highWaterMark: 256 * 1024 }), {
    fileName: "bench.csv",
    maxBytes: 2 ** 31,
    operatorId: null,
  });
  uploadId = upload.id;
  const uploadSeconds = (Date.now() - uploadStart) / 1000;

  const plan = await db.prisma.ratePlan.create({ data: { name: `bench-${prefix}`, defaultPricePerSegment: 1n } });
  const client = await db.prisma.client.create({
    data: {
      name: `bench-${prefix}`,
      billingType: "PREPAID",
      ratePlanId: plan.id,
      senderIds: { create: [{ value: "BENCH" }] },
    },
  });
  clientId = client.id;
  await ensureTopics(kafka, kafkaCfg);
  const campaign = await db.prisma.campaign.create({
    data: {
      clientId: client.id,
      name: "bench",
      senderId: "BENCH",
      template: "Hi {{name}}, your code is {{code}}",
      uploadId: upload.id,
      recipientCount: upload.validRowCount,
      status: "RUNNING",
      startedAt: new Date(),
    },
  });
  campaignId = campaign.id;

  const child = spawn(process.execPath, [...WORKER_NODE_FLAGS, "--import", "tsx", "workers/launcher.ts"], {
    // The heap cap every worker runs with (scripts/run-all.ts, docker-compose.yml).
    env: {
      ...process.env,
      NODE_OPTIONS: WORKER_NODE_OPTIONS,
      KAFKA_TOPIC_PREFIX: prefix,
      HEALTH_PORT: "0",
      LOG_LEVEL: "warn",
      POLL_INTERVAL_MS: "100",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const launchStart = Date.now();
  let peak = 0;
  let launched = false;
  while (!launched) {
    await new Promise((r) => setTimeout(r, 200));
    peak = Math.max(peak, rssOf(child.pid!).hwm);
    const c = await db.prisma.campaign.findUniqueOrThrow({ where: { id: campaign.id } });
    launched = c.launchedAt !== null;
    if (child.exitCode !== null) throw new Error(`launcher exited with ${child.exitCode}`);
  }
  const launchSeconds = (Date.now() - launchStart) / 1000;
  peak = Math.max(peak, rssOf(child.pid!).hwm);
  child.kill("SIGTERM");
  await once(child, "exit");

  const { records: recordsOnTopic, messages: onTopic } = await countMessagesOn(prefix + TOPICS.bulk.name);

  const figures = {
    rows,
    uploadRowsPerSec: Math.round(rows / uploadSeconds),
    launchRowsPerSec: Math.round(rows / launchSeconds),
    launchSeconds: Math.round(launchSeconds * 10) / 10,
    launcherPeakRssMb: Math.round(peak),
    messagesOnTopic: onTopic,
    recordsOnTopic,
  };
  console.log(`rows                 ${rows}`);
  console.log(
    `upload               ${figures.uploadRowsPerSec} rows/s (${uploadSeconds.toFixed(1)} s, parent process)`,
  );
  console.log(`launch               ${figures.launchRowsPerSec} rows/s (${figures.launchSeconds} s)`);
  console.log(`launcher peak RSS    ${figures.launcherPeakRssMb} MB (VmHWM of the launcher process)`);
  console.log(`messages on topic    ${onTopic} (in ${recordsOnTopic} records, packed per partition)`);
  console.log(JSON.stringify(figures));
  if (onTopic !== rows) process.exitCode = 1;
} finally {
  const admin = kafka.admin();
  await admin.connect().catch(() => undefined);
  const topics = (await admin.listTopics().catch(() => [] as string[])).filter((t) => t.startsWith(prefix));
  if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
  // The group that read bulk-topic back to count it (countMessagesOn).
  await admin.deleteGroups([`${prefix}count`]).catch(() => undefined);
  await admin.disconnect().catch(() => undefined);
  if (campaignId) await db.prisma.campaign.delete({ where: { id: campaignId } }).catch(() => undefined);
  if (uploadId) await db.prisma.upload.delete({ where: { id: uploadId } }).catch(() => undefined);
  if (clientId) await db.prisma.client.delete({ where: { id: clientId } }).catch(() => undefined);
  await closeDb(db);
  await rm(dir, { recursive: true, force: true });
}
