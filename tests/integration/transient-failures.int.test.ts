import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TOPICS, type BulkMessage } from "@/server/kafka/topics";
import { createRedis } from "@/server/redis";
import { startValidator } from "@/server/validation/validator";
import { createTestClient, createTestDeps, startStages, waitFor } from "./helpers";

// The validator's Redis goes away and comes back (a restart, with its data
// gone): messages wait, then every one is processed exactly once.

let deps: Awaited<ReturnType<typeof createTestDeps>>;
let writer: { stop(): Promise<void> };
let redisServer: ChildProcess | undefined;
const port = 20_000 + Math.floor(Math.random() * 10_000);

async function startRedis(): Promise<ChildProcess> {
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    {
      stdio: ["ignore", "pipe", "ignore"],
    },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => d.toString().includes("Ready to accept connections") && resolve());
    child.once("exit", (code) => reject(new Error(`redis-server exited with ${code}`)));
  });
  return child;
}

async function stopRedis(child: ChildProcess): Promise<void> {
  child.kill("SIGTERM");
  await once(child, "exit");
}

beforeAll(async () => {
  deps = await createTestDeps();
  writer = await startStages(deps, ["status-writer"]);
});

afterAll(async () => {
  await writer?.stop();
  if (redisServer && redisServer.exitCode === null) await stopRedis(redisServer);
  await deps?.close();
});

describe("transient failures", () => {
  it("retries while Redis is down and loses or duplicates nothing", async () => {
    redisServer = await startRedis();
    const redis = createRedis(`redis://127.0.0.1:${port}`);
    const validator = await startValidator({ ...deps, redis });
    try {
      const client = await createTestClient(deps.api);
      const message = (i: number): BulkMessage => ({
        v: 1,
        messageId: `transient-${client.id}-${i}`,
        clientId: client.id,
        campaignId: null,
        row: null,
        recipient: `+4474009${String(i).padStart(5, "0")}`,
        sender: "TESTCO",
        template: "Hello",
        variables: {},
        category: "AUTHENTICATION",
        createdAt: new Date().toISOString(),
      });
      const send = (from: number, to: number) =>
        deps.producer.send(
          deps.env.KAFKA_TOPIC_PREFIX + TOPICS.bulk.name,
          Array.from({ length: to - from }, (_, k) => message(from + k)).map((m) => ({
            key: m.messageId,
            value: JSON.stringify(m),
          })),
        );
      const count = () => deps.db.prisma.message.count({ where: { clientId: client.id } });

      await send(0, 20);
      await waitFor(count, (n) => n === 20, { what: "the first 20 while Redis is up" });

      await stopRedis(redisServer);
      await send(20, 60);
      await new Promise((r) => setTimeout(r, 3_000));
      expect(await count()).toBe(20);

      redisServer = await startRedis();
      await waitFor(count, (n) => n === 60, { what: "the 40 sent while Redis was down", timeoutMs: 60_000 });
      const rows = await deps.db.prisma.message.findMany({ where: { clientId: client.id } });
      expect(rows.filter((r) => r.status === "ACCEPTED")).toHaveLength(60);
      expect(new Set(rows.map((r) => r.id)).size).toBe(60);
    } finally {
      await validator.stop();
      redis.disconnect();
    }
  });
});
