import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { campaignMessageId } from "@/server/campaigns/service";
import { TOPICS } from "@/server/kafka/topics";
import { bulkOnTopic, callerAs, createTestClient, createTestDeps, readTopic, startStages, waitFor } from "./helpers";

// A launcher killed mid-campaign: the next one resumes from the checkpoint,
// with no row missing and at most one batch published twice.

let deps: Awaited<ReturnType<typeof createTestDeps>>;
let stages: { stop(): Promise<void> };

beforeAll(async () => {
  deps = await createTestDeps();
  stages = await startStages(deps, ["validator", "status-writer", "scheduler"]);
});

afterAll(async () => {
  await stages?.stop();
  await deps?.close();
});

const BATCH = 100;

function startLauncher(): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", "workers/launcher.ts"], {
    env: {
      ...process.env,
      LAUNCH_BATCH_SIZE: String(BATCH),
      LAUNCHER_LEASE_SECONDS: "2",
      HEALTH_PORT: "0",
      LOG_LEVEL: "warn",
    },
    stdio: "ignore",
  });
}

describe("launcher crash", () => {
  it("resumes after SIGKILL from its checkpoint without gaps", async () => {
    const client = await createTestClient(deps.api);
    const caller = await callerAs(deps.api, "OPERATOR");
    const total = 2_000;
    const numbers = Array.from({ length: total }, (_, i) => `+4479112${String(i).padStart(5, "0")}`);
    const campaign = await caller.campaigns.create({
      clientId: client.id,
      name: "crash",
      senderId: "TESTCO",
      template: "Hello",
      recipients: { kind: "paste", text: numbers.join("\n") },
      rateLimitPerSecond: 500,
    });
    let launcher = startLauncher();
    try {
      await caller.campaigns.launch({ id: campaign.id });
      await waitFor(
        () => deps.db.prisma.campaign.findUniqueOrThrow({ where: { id: campaign.id } }),
        (c) => c.launchedRows >= 400,
        // A process of its own: tsx compiles it first.
        { what: "the launcher to be partway through", timeoutMs: 60_000 },
      );
      launcher.kill("SIGKILL");
      await new Promise((r) => launcher.once("exit", r));
      const atCrash = await deps.db.prisma.campaign.findUniqueOrThrow({ where: { id: campaign.id } });
      expect(atCrash.launchedRows).toBeLessThan(total);
      expect(atCrash.launchedAt).toBeNull();

      launcher = startLauncher();
      const done = await waitFor(
        () => deps.db.prisma.campaign.findUniqueOrThrow({ where: { id: campaign.id } }),
        (c) => c.launchedAt !== null,
        { what: "a new launcher to finish the campaign", timeoutMs: 60_000 },
      );
      expect(done.launchedRows).toBe(total);
      expect(done.publishedCount).toBe(total);

      const mineOn = (rs: { value: string }[]) => bulkOnTopic(rs).filter((m) => m.campaignId === campaign.id);
      const records = await readTopic(
        deps.kafka,
        deps.env.KAFKA_TOPIC_PREFIX + TOPICS.bulk.name,
        (rs) => new Set(mineOn(rs).map((m) => m.messageId)).size >= total,
      );
      const mine = mineOn(records);
      const expected = Array.from({ length: total }, (_, i) => campaignMessageId(campaign.id, i + 1));
      expect([...new Set(mine.map((m) => m.messageId))].sort()).toEqual(expected.sort());
      // A produce retried after a lost ack lands twice, byte for byte; a batch a launcher publishes again carries its
      // own createdAt. Distinct messages count what the launchers published.
      expect(new Set(mine.map((m) => JSON.stringify(m))).size - total).toBeLessThanOrEqual(BATCH);

      const view = await waitFor(
        () => caller.campaigns.get({ id: campaign.id }),
        (c) => c.processed === total,
        {
          what: "every message to have a status",
          timeoutMs: 60_000,
        },
      );
      expect(view.counts).toEqual({ ACCEPTED: total });
    } finally {
      launcher.kill("SIGKILL");
    }
  });
});
