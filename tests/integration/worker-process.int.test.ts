import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TOPICS, type BulkMessage } from "@/server/kafka/topics";
import { createTestClient, createTestDeps, startStages, waitFor } from "./helpers";

// The validator as its own OS process, the way `npm start` and Compose run
// it: health endpoints, real work, and a clean exit on SIGTERM.

let deps: Awaited<ReturnType<typeof createTestDeps>>;
let statusWriter: { stop(): Promise<void> };
let child: ChildProcessWithoutNullStreams;
const logs: Record<string, unknown>[] = [];

beforeAll(async () => {
  deps = await createTestDeps();
  // The validator reports through message-status; the writer makes the rows.
  statusWriter = await startStages(deps, ["status-writer"]);
  child = spawn(process.execPath, ["--import", "tsx", "workers/validator.ts"], {
    env: { ...process.env, HEALTH_PORT: "0", LOG_LEVEL: "info" },
  });
  createInterface({ input: child.stdout }).on("line", (line) => {
    try {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      logs.push({ raw: line });
    }
  });
});

afterAll(async () => {
  if (child.exitCode === null) child.kill("SIGKILL");
  await statusWriter?.stop();
  await deps?.close();
});

describe("validator process", () => {
  it("serves health, processes messages and stops cleanly on SIGTERM", async () => {
    const started = await waitFor(
      async () => logs.find((l) => l.msg === "validator started"),
      (l) => l !== undefined || child.exitCode !== null,
      { what: "the validator to start", timeoutMs: 60_000 },
    );
    expect(started, `validator did not start: ${JSON.stringify(logs.slice(-5))}`).toBeDefined();
    const base = `http://127.0.0.1:${started!.healthPort as number}`;

    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ok: true, checks: { postgres: { ok: true }, redis: { ok: true } } });

    const client = await createTestClient(deps.api);
    const message: BulkMessage = {
      v: 1,
      messageId: `proc-${client.id}`,
      clientId: client.id,
      campaignId: null,
      row: null,
      recipient: "+447911123456",
      sender: "TESTCO",
      template: "via the worker process",
      variables: {},
      category: "MARKETING",
      createdAt: new Date().toISOString(),
    };
    await deps.producer.send(deps.env.KAFKA_TOPIC_PREFIX + TOPICS.bulk.name, [
      { key: client.id, value: JSON.stringify(message) },
    ]);
    const row = await waitFor(
      () => deps.db.prisma.message.findUnique({ where: { id: message.messageId } }),
      (m) => m !== null,
      { what: "the worker process to write the message" },
    );
    expect(row).toMatchObject({ status: "ACCEPTED", body: "via the worker process" });

    // The row can appear (via the status writer) a moment before the worker counts it.
    const metrics = await waitFor(
      async () => (await fetch(`${base}/metrics`)).text(),
      (text) => /volley_validator_outcomes_total\{status="ACCEPTED",reason=""\} [1-9]/.test(text),
      { what: "the validator's outcome metric", timeoutMs: 30_000 },
    );
    expect(metrics).toMatch(
      /volley_kafka_records_consumed_total\{group="[^"]*validator",topic="[^"]*bulk-topic"\} [1-9]/,
    );

    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    const steps = logs.filter((l) => l.msg === "shutdown step done").map((l) => l.step);
    expect(steps).toEqual(["consumer", "producer", "redis", "database", "health"]);
  });
});
