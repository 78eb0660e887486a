import { randomUUID } from "node:crypto";
import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { campaignMessageId } from "@/server/campaigns/service";
import { startBulkProc } from "@/server/delivery/bulk-proc-worker";
import { WriteFence } from "@/server/delivery/fence";
import { providerStatusKey } from "@/server/delivery/keys";
import { concatenationRef } from "@/server/delivery/smpp/encode";
import { createLogger } from "@/server/logger";
import { metrics } from "@/server/observability/metrics";
import { RedisSmscStore } from "@/server/smsc/store";
import type { StartedWorker } from "@/server/worker/run-worker";
import { callerAs, createTestClient, createTestDeps, PREPAID_DELIVERY_STAGES, startStages, waitFor } from "./helpers";
import { smscFixture } from "./smsc-fixture";

// Delivery end to end against real Kafka, Postgres, Redis and the SMSC simulator (in this process, on free ports,
// its counts in Redis under a namespace of this run): campaign → validator → prepaid lane → bulk-proc → SMPP →
// receipts → final statuses, refunds of the failures.

let deps: Awaited<ReturnType<typeof createTestDeps>>;
let stages: { stop(): Promise<void> };
let bulkProc: StartedWorker | undefined;
const log = createLogger("delivery-test");
const smsc = smscFixture(() => deps, log);
const { simulators, namePrefix, startSimulator, routeToSimulator } = smsc;
const SYSTEM_ID = smsc.systemId;

beforeAll(async () => {
  deps = await createTestDeps();
  // Earlier test files of this run left charged messages on the send topics; their clients route to providers this
  // bulk-proc does not hold (it binds only this file's), so it rejects them NO_PROVIDER and moves on.
  stages = await startStages(deps, PREPAID_DELIVERY_STAGES);
  bulkProc = await startBulkProc({ ...deps, env: { ...deps.env, DELIVERY_PROVIDER_NAME_PREFIX: namePrefix() } });
});

afterEach(() => smsc.stopSimulators());

afterAll(async () => {
  await bulkProc?.stop();
  await stages?.stop();
  await smsc.cleanup();
  await deps?.close();
});

async function campaign(clientId: string, numbers: string[], template: string, rateLimitPerSecond?: number) {
  const caller = await callerAs(deps.api, "OPERATOR");
  const c = await caller.campaigns.create({
    clientId,
    name: `delivery ${randomUUID().slice(0, 6)}`,
    senderId: "TESTCO",
    template,
    recipients: { kind: "paste", text: numbers.join("\n") },
    ...(rateLimitPerSecond ? { rateLimitPerSecond } : {}),
  });
  await caller.campaigns.launch({ id: c.id });
  return { caller, campaign: c };
}

async function waitForCompletion(
  caller: Awaited<ReturnType<typeof callerAs>>,
  id: string,
  total: number,
  timeoutMs = 90_000,
) {
  return waitFor(
    () => caller.campaigns.get({ id }),
    (c) => c.status === "COMPLETED" && c.processed === total,
    { what: `campaign ${id} to complete`, timeoutMs, intervalMs: 500 },
  );
}

async function outcomes(campaignId: string) {
  const rows = await deps.db.prisma.message.findMany({ where: { campaignId } });
  return new Map(rows.map((m) => [m.recipient, `${m.status}${m.statusReason ? ` ${m.statusReason}` : ""}`]));
}

const balanceOf = async (clientId: string) =>
  (await deps.db.prisma.account.findFirstOrThrow({ where: { clientId } })).balance;

/** Unique, valid UK mobiles for this test: +4479112 + 5 digits, ending as asked. */
function numbers(count: number, block: number): string[] {
  return Array.from({ length: count }, (_, i) => `+4479112${String(block * 1000 + 100 + i).padStart(5, "0")}`);
}

async function expectNoneTwice(store: RedisSmscStore, messageIds: string[]) {
  const stats = await store.stats([SYSTEM_ID]);
  expect(stats.duplicates).toBe(0);
  for (const id of messageIds) {
    const count = await store.messageCount(id);
    expect(count?.maxPartCopies ?? 0, `copies of ${id}`).toBeLessThanOrEqual(1);
  }
}

describe("delivery through bulk-proc and the SMSC simulator", () => {
  it("delivers a campaign: every message DELIVERED or the simulator's outcome for its number, failures refunded", async () => {
    const { sim, store } = await startSimulator(`it-${randomUUID()}`);
    const client = await createTestClient(deps.api, { balance: 10_000n });
    // Three binds: the messages go out on all of them, their receipts come back on all of them.
    const provider = await routeToSimulator(client.id, sim.port, { binds: 3 });
    const ok = numbers(30, 1);
    const special = ["+447911290001", "+447911290002", "+447911290003", "+447911290004"];
    const opening = await balanceOf(client.id);
    const { caller, campaign: c } = await campaign(client.id, [...ok, ...special], "Your order has shipped");

    const view = await waitForCompletion(caller, c.id, ok.length + special.length);
    expect(view.counts).toEqual({ DELIVERED: 30, UNDELIVERABLE: 1, EXPIRED: 1, REJECTED: 2 });
    const byNumber = await outcomes(c.id);
    expect(ok.every((n) => byNumber.get(n) === "DELIVERED")).toBe(true);
    expect(special.map((n) => byNumber.get(n))).toEqual([
      "UNDELIVERABLE ERR_001",
      "EXPIRED ERR_002",
      "REJECTED ESME_RSUBMITFAIL",
      "REJECTED ERR_004",
    ]);
    // 34 charged at 2 each, the 4 failures refunded.
    await waitFor(
      () => balanceOf(client.id),
      (b) => b === opening - 30n * 2n,
      // Through the prepaid-manager (charges) and the refunds worker.
      { what: "failures refunded", timeoutMs: 60_000 },
    );
    const sessions = sim.sessions().filter((s) => s.systemId === SYSTEM_ID);
    expect(sessions).toHaveLength(3);
    for (const s of sessions) expect(s.accepted).toBeGreaterThan(0);
    expect(await deps.redis.hgetall(providerStatusKey(deps.env.KAFKA_TOPIC_PREFIX, provider.id))).toMatchObject({
      state: "bound",
      binds: "3",
      bindsBound: "3",
      windowSize: "60",
    });
    const submissions = await deps.db.prisma.submission.findMany({ where: { clientId: client.id } });
    expect(submissions).toHaveLength(34);
    expect(submissions.filter((s) => s.state === "SUBMITTED")).toHaveLength(33);
    expect(submissions.find((s) => s.recipient === special[2])).toMatchObject({
      state: "FAILED",
      lastError: "REJECTED ESME_RSUBMITFAIL",
    });
    await expectNoneTwice(
      store,
      [...ok, ...special].map((_, i) => campaignMessageId(c.id, i + 1)),
    );
  });

  it("splits a 3-segment GSM-7 and a 2-segment UCS-2 message with the right data_coding and UDH, billed by segments", async () => {
    const { sim } = await startSimulator(`it-${randomUUID()}`);
    const client = await createTestClient(deps.api, { balance: 10_000n });
    await routeToSimulator(client.id, sim.port);
    const gsmText = "€" + "x".repeat(151) + "@" + "y".repeat(152) + "end [ok]";
    const ucsText = "Привет! ".repeat(9) + "😀 до встречи";
    const gsm = await campaign(client.id, ["+447911291001"], gsmText);
    const ucs = await campaign(client.id, ["+447911291002"], ucsText);
    await waitForCompletion(gsm.caller, gsm.campaign.id, 1);
    await waitForCompletion(ucs.caller, ucs.campaign.id, 1);
    const gsmId = campaignMessageId(gsm.campaign.id, 1);
    const ucsId = campaignMessageId(ucs.campaign.id, 1);

    const messages = await deps.db.prisma.message.findMany({ where: { id: { in: [gsmId, ucsId] } } });
    expect(messages.map((m) => [m.id, m.status, m.encoding, m.segments]).sort()).toEqual(
      [
        [gsmId, "DELIVERED", "GSM7", 3],
        [ucsId, "DELIVERED", "UCS2", 2],
      ].sort(),
    );
    const received = sim.recentSubmits();
    const hex = (n: number) => n.toString(16).padStart(2, "0");
    expect(received.filter((p) => p.volleyId === gsmId).map((p) => [p.dataCoding, p.esmClass, p.udh])).toEqual(
      [1, 2, 3].map((seq) => [0x00, 0x40, `050003${hex(concatenationRef(gsmId))}03${hex(seq)}`]),
    );
    expect(received.filter((p) => p.volleyId === ucsId).map((p) => [p.dataCoding, p.esmClass, p.udh])).toEqual(
      [1, 2].map((seq) => [0x08, 0x40, `050003${hex(concatenationRef(ucsId))}02${hex(seq)}`]),
    );
    // Price 2 per segment: 3 segments → 6, 2 segments → 4.
    await waitFor(
      () => deps.db.prisma.ledgerEntry.findMany({ where: { messageId: { in: [gsmId, ucsId] }, type: "CHARGE" } }),
      (rows) => rows.length === 2,
      { what: "both charges applied", timeoutMs: 60_000 },
    );
    const charges = await deps.db.prisma.ledgerEntry.findMany({
      where: { messageId: { in: [gsmId, ucsId] }, type: "CHARGE" },
    });
    expect(new Map(charges.map((c) => [c.messageId, c.amount]))).toEqual(
      new Map([
        [gsmId, -6n],
        [ucsId, -4n],
      ]),
    );
    // Every segment's id is correlated (one receipt per segment decided each message).
    expect(await deps.db.prisma.providerMessage.count({ where: { messageId: { in: [gsmId, ucsId] } } })).toBe(5);
  });

  it("rebinds after the simulator restarts mid-campaign and completes it with no message sent twice", async () => {
    const namespace = `it-${randomUUID()}`;
    let { sim, store } = await startSimulator(namespace);
    const port = sim.port;
    const client = await createTestClient(deps.api, { balance: 10_000n });
    await routeToSimulator(client.id, port);
    const list = numbers(150, 2);
    const { caller, campaign: c } = await campaign(client.id, list, "Flash sale tonight", 50);
    await waitFor(
      () => store.stats([SYSTEM_ID]),
      (s) => s.messages >= 30,
      // Launcher, validator, prepaid lane and bulk-proc.
      { what: "part of the campaign at the simulator", timeoutMs: 60_000 },
    );
    await sim.stop();
    simulators.splice(simulators.indexOf(sim), 1);
    await new Promise((r) => setTimeout(r, 1_000));
    ({ sim, store } = await startSimulator(namespace, { port }));

    const view = await waitForCompletion(caller, c.id, list.length);
    expect(view.counts).toEqual({ DELIVERED: list.length });
    expect((await store.stats([SYSTEM_ID])).bindsTotal).toBeGreaterThanOrEqual(2);
    await expectNoneTwice(
      store,
      list.map((_, i) => campaignMessageId(c.id, i + 1)),
    );
  });

  it("parks the messages of a route whose provider is down, keeps the partitions flowing, sends them once it is back", async () => {
    const healthy = await startSimulator(`it-${randomUUID()}`);
    const namespace = `it-${randomUUID()}`;
    let away = await startSimulator(namespace);
    const awayPort = away.sim.port;
    const flowing = await createTestClient(deps.api, { balance: 10_000n });
    const stranded = await createTestClient(deps.api, { balance: 10_000n });
    await routeToSimulator(flowing.id, healthy.sim.port);
    const awayProvider = await routeToSimulator(stranded.id, awayPort);
    // The stranded client's only provider goes down (enabled, reconnecting).
    await away.sim.stop();
    simulators.splice(simulators.indexOf(away.sim), 1);
    await waitFor(
      () => deps.redis.hgetall(providerStatusKey(deps.env.KAFKA_TOPIC_PREFIX, awayProvider.id)),
      (h) => h.state !== undefined && h.state !== "bound",
      { what: "the provider to lose its bind", timeoutMs: 30_000 },
    );

    const strandedList = numbers(20, 5);
    const s = await campaign(stranded.id, strandedList, "Waiting for the carrier");
    const strandedIds = strandedList.map((_, i) => campaignMessageId(s.campaign.id, i + 1));
    await waitFor(
      () => deps.db.prisma.parkedSend.count({ where: { messageId: { in: strandedIds } } }),
      (n) => n === strandedList.length,
      { what: "the stranded messages parked", timeoutMs: 60_000 },
    );
    // Messages behind them on the same send partitions (keyed by message id, they share them) are not held up.
    const flowingList = numbers(20, 6);
    const f = await campaign(flowing.id, flowingList, "Not held up");
    const flowed = await waitForCompletion(f.caller, f.campaign.id, flowingList.length);
    expect(flowed.counts).toEqual({ DELIVERED: flowingList.length });
    const waiting = await deps.db.prisma.submission.findMany({ where: { clientId: stranded.id } });
    expect(waiting).toHaveLength(strandedList.length);
    expect(waiting.every((w) => w.state === "PENDING" && w.providerMessageId === null)).toBe(true);

    // The carrier is back: the sweep puts them back on the send topic and each is sent once.
    away = await startSimulator(namespace, { port: awayPort });
    const done = await waitForCompletion(s.caller, s.campaign.id, strandedList.length);
    expect(done.counts).toEqual({ DELIVERED: strandedList.length });
    expect(await deps.db.prisma.parkedSend.count({ where: { messageId: { in: strandedIds } } })).toBe(0);
    expect((await away.store.stats([SYSTEM_ID])).messages).toBe(strandedList.length);
    await expectNoneTwice(away.store, strandedIds);
  });

  it("completes everything when the simulator throttles below the offered rate", async () => {
    const { sim, store } = await startSimulator(`it-${randomUUID()}`, { maxTps: 25 });
    const client = await createTestClient(deps.api, { balance: 10_000n });
    await routeToSimulator(client.id, sim.port);
    const list = numbers(120, 3);
    const { caller, campaign: c } = await campaign(client.id, list, "Throttled but complete");
    const view = await waitForCompletion(caller, c.id, list.length);
    expect(view.counts).toEqual({ DELIVERED: list.length });
    const stats = await store.stats([SYSTEM_ID]);
    expect(stats.throttled).toBeGreaterThan(0);
    expect(stats.messages).toBe(list.length);
    await expectNoneTwice(
      store,
      list.map((_, i) => campaignMessageId(c.id, i + 1)),
    );
  });

  it("submits what a lost worker claimed but never wrote, and leaves what it may have written unconfirmed", async () => {
    const { sim, store } = await startSimulator(`it-${randomUUID()}`);
    const client = await createTestClient(deps.api, { balance: 10_000n });
    const account = await deps.db.prisma.account.findFirstOrThrow({ where: { clientId: client.id } });
    await routeToSimulator(client.id, sim.port);
    const list = numbers(6, 5);
    const caller = await callerAs(deps.api, "OPERATOR");
    const c = await caller.campaigns.create({
      clientId: client.id,
      name: `takeover ${randomUUID().slice(0, 6)}`,
      senderId: "TESTCO",
      template: "Left behind by a dead worker",
      recipients: { kind: "paste", text: list.join("\n") },
    });
    const ids = list.map((_, i) => campaignMessageId(c.id, i + 1));
    // What a bulk-proc killed mid-wave leaves: every message claimed (SUBMITTING, fenced with its token), the first
    // three marked written (on their way to the carrier when it died), the other three still queued in its client.
    await deps.db.pool.query(
      `INSERT INTO submissions (message_id, client_id, account_id, state, recipient, sender, valid_until, attempts)
       SELECT id, $2, $3, 'SUBMITTING', recipient, 'TESTCO', now() + interval '1 hour', 1
       FROM unnest($1::text[], $4::text[]) AS t(id, recipient)`,
      [ids, client.id, account.id, list],
    );
    const dead = new WriteFence(deps.redis, deps.env.KAFKA_TOPIC_PREFIX, 600, `dead-${randomUUID()}`);
    expect((await dead.claim(ids)).size).toBe(6);
    const written = ids.slice(0, 3);
    const queued = ids.slice(3);
    expect(await Promise.all(written.map((id) => dead.gate(id).acquire()))).toEqual([true, true, true]);
    const orphans = async () => {
      const { values } = await metrics.orphanedSubmits.get();
      return (fence: string) => values.find((v) => v.labels.fence === fence)?.value ?? 0;
    };
    const before = await orphans();

    await caller.campaigns.launch({ id: c.id });
    await waitFor(
      () => caller.campaigns.get({ id: c.id }),
      (v) => v.counts.DELIVERED === 3,
      { what: "the three never written delivered", timeoutMs: 60_000 },
    );
    const states = await deps.db.prisma.submission.findMany({ where: { messageId: { in: ids } } });
    const stateOf = new Map(states.map((r) => [r.messageId, r.state]));
    expect(written.map((id) => stateOf.get(id))).toEqual(["UNCONFIRMED", "UNCONFIRMED", "UNCONFIRMED"]);
    expect(queued.map((id) => stateOf.get(id))).toEqual(["SUBMITTED", "SUBMITTED", "SUBMITTED"]);
    // The carrier got exactly the three the dead worker never wrote, once each.
    expect((await store.stats([SYSTEM_ID])).messages).toBe(3);
    for (const id of written) expect(await store.messageCount(id)).toBeFalsy();
    await expectNoneTwice(store, ids);
    const after = await orphans();
    expect([after("taken") - before("taken"), after("written") - before("written")]).toEqual([3, 3]);
    // Had the old worker been alive after all, its late write of a taken-over message is refused.
    expect(await dead.gate(queued[0]!).acquire()).toBe(false);
  });

  it("after kill -9 of bulk-proc mid-campaign and a restart, sends nothing twice and sends what the dead worker never wrote", async () => {
    // This test runs bulk-proc as a process of its own, so that it can be killed.
    await bulkProc?.stop();
    bulkProc = undefined;
    const { sim, store } = await startSimulator(`it-${randomUUID()}`, { maxTps: 40 });
    const client = await createTestClient(deps.api, { balance: 10_000n });
    const spawnBulkProc = (): ChildProcess =>
      spawn(process.execPath, ["--import", "tsx", "workers/bulk-proc.ts"], {
        env: {
          ...process.env,
          DELIVERY_PROVIDER_NAME_PREFIX: namePrefix(),
          // Long enough for a slow restart (a busy CI machine: tsx compiling, the dead member's session timing out, the
          // group rebalancing) to take over and match every receipt the carrier sends for what was on the wire.
          DELIVERY_VALIDITY_SECONDS: "75",
          DELIVERY_RECEIPT_WAIT_SECONDS: "5",
          HEALTH_PORT: "0",
          LOG_LEVEL: "warn",
        },
        stdio: "ignore",
      });
    let child = spawnBulkProc();
    try {
      await routeToSimulator(client.id, sim.port);
      const list = numbers(200, 4);
      const { caller, campaign: c } = await campaign(client.id, list, "Crash-proof delivery", 100);
      await waitFor(
        () => store.stats([SYSTEM_ID]),
        (s) => s.messages >= 40,
        { what: "bulk-proc partway through", timeoutMs: 60_000 },
      );
      child.kill("SIGKILL");
      await new Promise((r) => child.once("exit", r));
      child = spawnBulkProc();

      const view = await waitForCompletion(caller, c.id, list.length, 150_000);
      // What the dead worker claimed but never wrote was taken over and sent by the new one (fence.ts); what the
      // carrier took was matched by its receipt (by recipient, if its submit_sm_resp died with the worker). Only a
      // message on the wire when the worker died, that the carrier then refused (it throttles at 40/s here), ends
      // EXPIRED: nobody can tell it from one the carrier took, so it is never resent. At most a window (20) of them.
      expect(Object.keys(view.counts).every((s) => s === "DELIVERED" || s === "EXPIRED")).toBe(true);
      const ids = list.map((_, i) => campaignMessageId(c.id, i + 1));
      await expectNoneTwice(store, ids);
      const expired = await deps.db.prisma.message.findMany({ where: { campaignId: c.id, status: "EXPIRED" } });
      expect(expired.length).toBeLessThanOrEqual(20);
      for (const m of expired) {
        // Which path expired it (its reason and submission), should one that reached the carrier ever end here.
        const submission = await deps.db.prisma.submission.findUnique({ where: { messageId: m.id } });
        const why = `${m.statusReason} / ${submission?.state} ${submission?.lastError}`;
        expect(await store.messageCount(m.id), `${m.id} reached the carrier (${why})`).toBeNull();
      }
      expect((await store.stats([SYSTEM_ID])).messages).toBe(view.counts.DELIVERED);
    } finally {
      child.kill("SIGKILL");
    }
  }, 180_000);
});
