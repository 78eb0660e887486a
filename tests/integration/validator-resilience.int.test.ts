import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TOPICS } from "@/server/kafka/topics";
import { startValidator } from "@/server/validation/validator";
import { callerAs, createTestClient, createTestDeps, readTopic, routedOnTopic, startStages, waitFor } from "./helpers";

// Validators scale out and survive being killed: the results are the same
// as with one validator that never failed.

let deps: Awaited<ReturnType<typeof createTestDeps>>;
let stages: { stop(): Promise<void> };

beforeAll(async () => {
  deps = await createTestDeps();
  // Everything but the validator, which each test runs its own way.
  stages = await startStages(deps, ["launcher", "scheduler", "status-writer"]);
});

afterAll(async () => {
  await stages?.stop();
  await deps?.close();
});

/** 300 unique valid numbers, 40 invalid ones, and 60 repeats of the first 60. */
function recipients(seed: number): string[] {
  const list: string[] = [];
  for (let i = 0; i < 300; i++) list.push(`+4479${seed}${String(i).padStart(6, "0")}`);
  for (let i = 0; i < 40; i++) list.push(`00${i}`);
  for (let i = 0; i < 60; i++) list.push(list[i]!);
  return list;
}

async function runCampaign(clientId: string, numbers: string[], timeoutMs = 60_000, rateLimitPerSecond?: number) {
  const caller = await callerAs(deps.api, "OPERATOR");
  const campaign = await caller.campaigns.create({
    clientId,
    name: "resilience",
    senderId: "TESTCO",
    template: "Hello",
    recipients: { kind: "paste", text: numbers.join("\n") },
    rateLimitPerSecond,
  });
  await caller.campaigns.launch({ id: campaign.id });
  return { caller, campaign, timeoutMs };
}

async function settle(run: Awaited<ReturnType<typeof runCampaign>>, total: number) {
  return waitFor(
    () => run.caller.campaigns.get({ id: run.campaign.id }),
    (c) => c.processed === total,
    {
      what: `${total} statuses`,
      timeoutMs: run.timeoutMs,
    },
  );
}

describe("validator instances", () => {
  it("two instances share the load and give the same results as one", async () => {
    const client = await createTestClient(deps.api);
    const one = await startValidator(deps);
    const single = await settle(await runCampaign(client.id, recipients(11)), 400);
    await one.stop();

    const [a, b] = await Promise.all([startValidator(deps), startValidator(deps)]);
    try {
      const run = await runCampaign(client.id, recipients(12));
      const admin = deps.kafka.admin();
      await admin.connect();
      const group = await admin.describeGroups([`${deps.env.KAFKA_TOPIC_PREFIX}validator`]);
      await admin.disconnect();
      expect(group.groups[0]!.members).toHaveLength(2);
      const double = await settle(run, 400);
      expect(double.counts).toEqual(single.counts);
      expect(single.counts).toEqual({ ACCEPTED: 300, REJECTED: 100 });
      const reasons = await deps.db.prisma.message.groupBy({
        by: ["statusReason"],
        where: { campaignId: run.campaign.id },
        _count: true,
      });
      expect(Object.fromEntries(reasons.map((r) => [r.statusReason ?? "none", r._count]))).toEqual({
        none: 300,
        INVALID_NUMBER: 40,
        DUPLICATE_RECIPIENT: 60,
      });
      // Each duplicated number is accepted exactly once, whichever instance saw it first.
      const accepted = await deps.db.prisma.message.findMany({
        where: { campaignId: run.campaign.id, status: "ACCEPTED" },
        select: { recipient: true },
      });
      expect(new Set(accepted.map((m) => m.recipient)).size).toBe(300);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it("a validator killed with SIGKILL mid-campaign loses and duplicates nothing", async () => {
    const client = await createTestClient(deps.api);
    const startChild = (): ChildProcess =>
      spawn(process.execPath, ["--import", "tsx", "workers/validator.ts"], {
        env: { ...process.env, VALIDATOR_BATCH_SIZE: "25", HEALTH_PORT: "0", LOG_LEVEL: "warn" },
        stdio: "ignore",
      });
    let child = startChild();
    try {
      const numbers = Array.from({ length: 3 }, (_, k) => recipients(20 + k)).flat();
      // Published at 150 a second (8 s in all), so that the kill lands mid-campaign however fast the validator is.
      const run = await runCampaign(client.id, numbers, 90_000, 150);
      await waitFor(
        () => run.caller.campaigns.get({ id: run.campaign.id }),
        (c) => c.processed >= 100,
        {
          // A process of its own: tsx compiles it first.
          what: "the validator to be partway through",
          timeoutMs: 60_000,
        },
      );
      child.kill("SIGKILL");
      await new Promise((r) => child.once("exit", r));
      const midway = await run.caller.campaigns.get({ id: run.campaign.id });
      expect(midway.processed).toBeLessThan(1200);

      child = startChild();
      const done = await settle(run, 1200);
      expect(done.counts).toEqual({ ACCEPTED: 900, REJECTED: 300 });
      const rows = await deps.db.prisma.message.count({ where: { campaignId: run.campaign.id } });
      expect(rows).toBe(1200);
      const counters = await deps.db.prisma.campaignCounter.aggregate({
        where: { campaignId: run.campaign.id },
        _sum: { count: true },
      });
      expect(counters._sum.count).toBe(1200);
      // Redelivered batches may route a message twice; it is the same message.
      const idsOn = (records: { value: string }[]) =>
        routedOnTopic(records)
          .filter((m) => m.campaignId === run.campaign.id)
          .map((m) => m.messageId);
      const lane = await readTopic(
        deps.kafka,
        deps.env.KAFKA_TOPIC_PREFIX + TOPICS.prepaidLowBulk.name,
        (records) => new Set(idsOn(records)).size >= 900,
      );
      expect(new Set(idsOn(lane)).size).toBe(900);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
