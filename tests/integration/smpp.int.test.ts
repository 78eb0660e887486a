import { randomUUID } from "node:crypto";
import { once } from "node:events";
import type { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { WriteFence } from "@/server/delivery/fence";
import { SmppProvider, type SmppProviderInput, type SubmitResult } from "@/server/delivery/smpp/client";
import type { OutboundSms } from "@/server/delivery/smpp/encode";
import { concatenationRef } from "@/server/delivery/smpp/encode";
import type { DeliveryReceipt } from "@/server/delivery/smpp/receipts";
import { env } from "@/server/env";
import { createLogger } from "@/server/logger";
import { createRedis } from "@/server/redis";
import { SmscSimulator, type SmscSimulatorConfig } from "@/server/smsc/simulator";
import { RedisSmscStore } from "@/server/smsc/store";
import { waitFor } from "./helpers";

// The SMPP client against the real SMSC simulator (in this process, on free ports), with its counts in the real
// Redis under a namespace of this run.

const log = createLogger("smpp-test");
const SYSTEM_ID = "volley-it";
const PASSWORD = "it-pass1";

let redis: Redis;
const simulators: SmscSimulator[] = [];
const providers: SmppProvider[] = [];
const stores: RedisSmscStore[] = [];

beforeAll(() => {
  redis = createRedis(env().REDIS_URL);
});

afterEach(async () => {
  await Promise.all(providers.splice(0).map((p) => p.stop(1_000)));
  await Promise.all(simulators.splice(0).map((s) => s.stop()));
});

afterAll(async () => {
  await Promise.all(stores.map((s) => s.reset()));
  redis.disconnect();
});

async function startSimulator(
  namespace: string,
  overrides: Partial<SmscSimulatorConfig> = {},
): Promise<{ sim: SmscSimulator; store: RedisSmscStore }> {
  const store = new RedisSmscStore(redis, namespace);
  stores.push(store);
  const sim = await SmscSimulator.start(
    {
      host: "127.0.0.1",
      port: 0,
      httpPort: 0,
      credentials: [{ systemId: SYSTEM_ID, password: PASSWORD }],
      receiptDelayMs: 200,
      ratios: { undeliverable: 0, expired: 0 },
      maxTps: 0,
      ...overrides,
    },
    { store, log },
  );
  simulators.push(sim);
  return { sim, store };
}

function startProvider(port: number, overrides: Partial<SmppProviderInput> = {}): SmppProvider {
  const provider = new SmppProvider(
    {
      name: `it-${randomUUID().slice(0, 6)}`,
      host: "127.0.0.1",
      port,
      systemId: SYSTEM_ID,
      password: PASSWORD,
      windowSize: 20,
      enquireLinkIntervalMs: 1_000,
      responseTimeoutMs: 5_000,
      reconnectBaseMs: 100,
      reconnectMaxMs: 1_000,
      ...overrides,
    },
    log,
  );
  providers.push(provider);
  provider.start();
  return provider;
}

/** Waits until `bound` of the provider's sessions are bound. */
async function waitForBinds(provider: SmppProvider, bound: number, what = `${bound} binds`): Promise<void> {
  await waitFor(
    async () => provider.bindsBound,
    (n) => n === bound,
    { what },
  );
}

function collectReceipts(provider: SmppProvider): Map<string, DeliveryReceipt> {
  const receipts = new Map<string, DeliveryReceipt>();
  provider.on("receipt", (r, settle) => {
    receipts.set(r.providerMessageId, r);
    settle(true);
  });
  return receipts;
}

const sms = (id: string, to: string, text = "Your code is 1234"): OutboundSms => ({ id, from: "TESTCO", to, text });

function expectOk(result: SubmitResult): asserts result is Extract<SubmitResult, { ok: true }> {
  if (!result.ok) throw new Error(`submit failed: ${JSON.stringify(result)}`);
}

describe("SMPP client against the SMSC simulator", () => {
  it("refuses a bind with a wrong password or an unknown system_id", async () => {
    const { sim } = await startSimulator(`it-${randomUUID()}`);
    const wrongPassword = startProvider(sim.port, { password: "wrong" });
    const [failure] = (await once(wrongPassword, "bindFailed")) as [{ reason: string }];
    expect(failure.reason).toBe("ESME_RINVPASWD");
    expect(wrongPassword.state).not.toBe("bound");

    const unknown = startProvider(sim.port, { systemId: "nobody" });
    const [unknownFailure] = (await once(unknown, "bindFailed")) as [{ reason: string }];
    expect(unknownFailure.reason).toBe("ESME_RBINDFAIL");

    const good = startProvider(sim.port);
    await good.waitForBind(10_000);
    expect(good.state).toBe("bound");
    const stats = await sim.stats();
    expect(stats.bindFailures).toBeGreaterThanOrEqual(2);
    expect(stats.boundSessions).toBe(1);
  });

  it("sends a 3-segment GSM-7 and a 2-segment UCS-2 message with their data_coding and UDH, counted once", async () => {
    const { sim } = await startSimulator(`it-${randomUUID()}`);
    const provider = startProvider(sim.port);
    const receipts = collectReceipts(provider);
    const gsmId = `gsm-${randomUUID()}`;
    const ucsId = `ucs-${randomUUID()}`;
    const gsmText = "€" + "x".repeat(151) + "@" + "y".repeat(152) + "end [ok]";
    const ucsText = "Привет! ".repeat(9) + "😀 до встречи";

    const [gsm, ucs] = await Promise.all([
      provider.submit(sms(gsmId, "+447911123456", gsmText)),
      provider.submit(sms(ucsId, "+447911123457", ucsText)),
    ]);
    expectOk(gsm);
    expectOk(ucs);
    expect(gsm.partMessageIds).toHaveLength(3);
    expect(ucs.partMessageIds).toHaveLength(2);
    expect(new Set([...gsm.partMessageIds, ...ucs.partMessageIds]).size).toBe(5);

    const received = sim.recentSubmits();
    const gsmParts = received.filter((p) => p.volleyId === gsmId);
    const ucsParts = received.filter((p) => p.volleyId === ucsId);
    const hex = (n: number) => n.toString(16).padStart(2, "0");
    expect(gsmParts.map((p) => [p.dataCoding, p.esmClass, p.udh])).toEqual(
      [1, 2, 3].map((seq) => [0x00, 0x40, `050003${hex(concatenationRef(gsmId))}03${hex(seq)}`]),
    );
    expect(ucsParts.map((p) => [p.dataCoding, p.esmClass, p.udh])).toEqual(
      [1, 2].map((seq) => [0x08, 0x40, `050003${hex(concatenationRef(ucsId))}02${hex(seq)}`]),
    );
    expect(gsmParts.map((p) => p.text).join("")).toBe(gsmText);
    expect(ucsParts.map((p) => p.text).join("")).toBe(ucsText);

    expect(await sim.messageCount(gsmId)).toMatchObject({ received: 1, maxPartCopies: 1, total: 3 });
    expect(await sim.messageCount(ucsId)).toMatchObject({ received: 1, maxPartCopies: 1, total: 2 });
    const overHttp = await fetch(`http://127.0.0.1:${sim.httpPort}/messages/${encodeURIComponent(gsmId)}`);
    expect(await overHttp.json()).toMatchObject({ volleyId: gsmId, received: 1, parts: [1, 1, 1] });
    const stats = await (await fetch(`http://127.0.0.1:${sim.httpPort}/stats`)).json();
    expect(stats).toMatchObject({ messages: 2, submitted: 5, duplicates: 0 });

    // A receipt per segment, as carriers send them.
    await waitFor(
      async () => receipts.size,
      (n) => n === 5,
      { what: "five receipts" },
    );
    for (const id of gsm.partMessageIds) {
      expect(receipts.get(id)).toEqual({
        providerMessageId: id,
        status: "DELIVERED",
        errorCode: "000",
        recipient: "+447911123456",
      });
    }
    for (const id of ucs.partMessageIds) {
      expect(receipts.get(id)).toEqual({
        providerMessageId: id,
        status: "DELIVERED",
        errorCode: "000",
        recipient: "+447911123457",
      });
    }
  });

  it("maps the receipts of the documented test numbers to their statuses", async () => {
    const { sim } = await startSimulator(`it-${randomUUID()}`);
    const provider = startProvider(sim.port);
    const receipts = collectReceipts(provider);
    const cases = [
      { to: "+447911200001", status: "UNDELIVERABLE", errorCode: "001" },
      { to: "+447911200002", status: "EXPIRED", errorCode: "002" },
      { to: "+447911200004", status: "REJECTED", errorCode: "004" },
      { to: "+447911123456", status: "DELIVERED", errorCode: "000" },
    ] as const;
    const results = await Promise.all(cases.map((c) => provider.submit(sms(`num-${randomUUID()}`, c.to))));
    const refused = await provider.submit(sms(`num-${randomUUID()}`, "+447911200003"));
    expect(refused).toMatchObject({ ok: false, kind: "permanent", reason: "ESME_RSUBMITFAIL", mayHaveBeenSent: false });

    await waitFor(
      async () => receipts.size,
      (n) => n === cases.length,
      { what: "receipts for every accepted number" },
    );
    results.forEach((result, i) => {
      expectOk(result);
      expect(receipts.get(result.providerMessageId)).toEqual({
        providerMessageId: result.providerMessageId,
        status: cases[i]!.status,
        errorCode: cases[i]!.errorCode,
        // The handset, from deliver_sm source_addr: resolves submissions whose provider id was never recorded.
        recipient: cases[i]!.to,
      });
    });
    // The simulator counts a receipt as sent once the client's deliver_sm_resp is in.
    await waitFor(
      () => sim.stats(),
      (s) => s.receiptsSent === cases.length,
      { what: "receipts acknowledged" },
    );
    expect(await sim.stats()).toMatchObject({ rejected: 1, messages: cases.length, duplicates: 0 });
  });

  it("answers a receipt only once it is applied: one that could not be is sent again, one unanswered stays pending", async () => {
    const { sim } = await startSimulator(`it-${randomUUID()}`);
    const provider = startProvider(sim.port);
    const seen: { receipt: DeliveryReceipt; settle: (applied: boolean) => void }[] = [];
    provider.on("receipt", (receipt, settle) => seen.push({ receipt, settle }));
    const result = await provider.submit(sms(`ack-${randomUUID()}`, "+447911123456"));
    expectOk(result);

    // Held: the simulator has it out, not acknowledged.
    await waitFor(
      async () => seen.length,
      (n) => n === 1,
      { what: "the receipt" },
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(await sim.stats()).toMatchObject({ receiptsSent: 0 });

    // Not applied: a temporary error, and the simulator sends it again.
    seen[0]!.settle(false);
    await waitFor(
      async () => seen.length,
      (n) => n === 2,
      { what: "the receipt sent again", timeoutMs: 10_000 },
    );
    expect(seen[1]!.receipt).toEqual(seen[0]!.receipt);
    expect((await sim.stats()).receiptsSent).toBe(0);

    // Applied: acknowledged, counted as sent, not sent a third time.
    seen[1]!.settle(true);
    await waitFor(
      () => sim.stats(),
      (s) => s.receiptsSent === 1,
      { what: "the receipt acknowledged" },
    );
    await new Promise((r) => setTimeout(r, 1_500));
    expect(seen).toHaveLength(2);
    expect(await sim.stats()).toMatchObject({ receiptsSent: 1, receiptsPending: 0 });
  });

  it("keeps at most its receipt window of receipts unanswered per session, and sends the rest as answers come", async () => {
    const { sim } = await startSimulator(`it-${randomUUID()}`, { receiptWindow: 3 });
    const provider = startProvider(sim.port);
    const held: ((applied: boolean) => void)[] = [];
    provider.on("receipt", (_receipt, settle) => held.push(settle));
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => provider.submit(sms(`win-${randomUUID()}`, `+4479111234${10 + i}`))),
    );
    results.forEach(expectOk);
    await waitFor(
      async () => held.length,
      (n) => n === 3,
      { what: "a window's worth of receipts" },
    );
    // Well past the receipt delay and several polls: still only the window's worth.
    await new Promise((r) => setTimeout(r, 800));
    expect(held).toHaveLength(3);
    // Answering frees the window: the rest follow.
    for (let answered = 0; answered < 8; answered++) {
      await waitFor(
        async () => held.length,
        (n) => n > answered,
        { what: `receipt ${answered + 1}` },
      );
      held[answered]!(true);
    }
    await waitFor(
      () => sim.stats(),
      (s) => s.receiptsSent === 8,
      { what: "every receipt answered" },
    );
    expect(held).toHaveLength(8);
  });

  it("keeps receipts for a client that is away and sends them when it binds again", async () => {
    // Due well after the first client has gone (its stop can take a while on a loaded machine).
    const { sim } = await startSimulator(`it-${randomUUID()}`, { receiptDelayMs: 1_500 });
    const first = startProvider(sim.port);
    const result = await first.submit(sms(`away-${randomUUID()}`, "+447911200001"));
    expectOk(result);
    await first.stop();
    await waitFor(
      () => sim.stats(),
      (s) => s.receiptsPending === 1 && s.boundSessions === 0,
      { what: "one receipt pending" },
    );
    // Past its due time, with nobody bound: still held.
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await sim.stats()).receiptsPending).toBe(1);

    const second = startProvider(sim.port);
    const receipts = collectReceipts(second);
    await waitFor(
      async () => receipts.get(result.providerMessageId),
      (r) => r !== undefined,
      { what: "the held receipt" },
    );
    expect(receipts.get(result.providerMessageId)).toMatchObject({ status: "UNDELIVERABLE", errorCode: "001" });
  });

  it("completes every message when the simulator is capped below the offered rate", async () => {
    const { sim } = await startSimulator(`it-${randomUUID()}`, { maxTps: 25 });
    const provider = startProvider(sim.port, { windowSize: 30, throttleBackoffBaseMs: 50, throttleBackoffMaxMs: 500 });
    await provider.waitForBind(10_000);
    const ids = Array.from({ length: 100 }, () => `tps-${randomUUID()}`);
    const results = await Promise.all(ids.map((id) => provider.submit(sms(id, "+447911123456"))));
    expect(results.filter((r) => !r.ok)).toEqual([]);

    const stats = await sim.stats();
    expect(stats.throttled).toBeGreaterThan(0);
    expect(stats).toMatchObject({ messages: 100, submitted: 100, duplicates: 0 });
    for (const id of ids) expect((await sim.messageCount(id))?.received).toBe(1);
  });

  it("writes nothing its write gate refuses: a message another worker took over is not sent", async () => {
    const { sim } = await startSimulator(`it-${randomUUID()}`);
    const provider = startProvider(sim.port);
    await provider.waitForBind(10_000);
    const prefix = `it-${randomUUID()}:`;
    const owner = new WriteFence(redis, prefix, 600);
    const other = new WriteFence(redis, prefix, 600);
    const ids = Array.from({ length: 40 }, () => `gate-${randomUUID()}`);
    expect((await owner.claim(ids)).size).toBe(40);
    const takenOver = ids.filter((_, i) => i % 4 === 0);
    expect([...(await other.takeOver(takenOver)).values()].every((v) => v === "taken")).toBe(true);

    const results = await Promise.all(ids.map((id) => provider.submit(sms(id, "+447911123456"), owner.gate(id))));
    results.forEach((r, i) => {
      if (takenOver.includes(ids[i]!)) expect(r).toMatchObject({ ok: false, kind: "fenced", mayHaveBeenSent: false });
      else expect(r.ok).toBe(true);
    });
    expect(await sim.stats()).toMatchObject({ messages: 30, duplicates: 0 });
    for (const id of takenOver) expect(await sim.messageCount(id)).toBeNull();
    // The ones it wrote are marked so: a worker finding them SUBMITTING would leave them unconfirmed.
    const found = await other.takeOver(ids.filter((id) => !takenOver.includes(id)));
    expect([...found.values()].every((v) => v === "written")).toBe(true);
  });

  it("hands a throttled message's fence back before its retry, and still sends each message once", async () => {
    const { sim } = await startSimulator(`it-${randomUUID()}`, { maxTps: 25 });
    const provider = startProvider(sim.port, { windowSize: 30, throttleBackoffBaseMs: 50, throttleBackoffMaxMs: 500 });
    await provider.waitForBind(10_000);
    const fence = new WriteFence(redis, `it-${randomUUID()}:`, 600);
    const ids = Array.from({ length: 60 }, () => `gate-${randomUUID()}`);
    await fence.claim(ids);
    let acquired = 0;
    let released = 0;
    const counted = (id: string) => {
      const gate = fence.gate(id);
      return {
        acquire: () => (acquired++, gate.acquire()),
        release: () => (released++, gate.release()),
      };
    };
    const results = await Promise.all(ids.map((id) => provider.submit(sms(id, "+447911123456"), counted(id))));
    expect(results.filter((r) => !r.ok)).toEqual([]);
    const stats = await sim.stats();
    expect(stats.throttled).toBeGreaterThan(0);
    expect(stats).toMatchObject({ messages: 60, duplicates: 0 });
    // Every refusal gave the fence back, and every retry asked for it again before writing.
    expect(released).toBeGreaterThan(0);
    expect(acquired).toBe(60 + released);
  });

  it("sends an urgent message (high lane) ahead of the ordinary ones already queued on the bind", async () => {
    const { sim } = await startSimulator(`it-${randomUUID()}`);
    // 100 segments a second (after a first second's burst) through a window of 5: 400 queued ordinary messages take
    // about 3 s.
    const provider = startProvider(sim.port, { windowSize: 5, maxTps: 100 });
    await provider.waitForBind(10_000);
    let ordinaryDone = 0;
    const ordinary = Array.from({ length: 400 }, () =>
      provider.submit(sms(`bulk-${randomUUID()}`, "+447911123456")).then((r) => {
        ordinaryDone++;
        return r;
      }),
    );
    await waitFor(
      async () => ordinaryDone,
      (n) => n >= 5,
      { what: "the first ordinary messages to go out" },
    );
    const urgent = await provider.submit({ ...sms(`otp-${randomUUID()}`, "+447911123457"), urgent: true });
    const doneBeforeUrgent = ordinaryDone;
    expectOk(urgent);
    // Queued behind them it would have come after all 400; ahead of them, about as soon as it was submitted.
    expect(doneBeforeUrgent).toBeLessThan(200);
    const results = await Promise.all(ordinary);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(await sim.stats()).toMatchObject({ messages: 401, duplicates: 0 });
  });

  it("spreads messages over several binds, a window per bind and one throughput cap for them all", async () => {
    const { sim } = await startSimulator(`it-${randomUUID()}`, { maxTps: 60 });
    // Capped at half the simulator's rate: three binds each allowed 30/s would burst 90 and be throttled.
    const provider = startProvider(sim.port, { binds: 3, windowSize: 4, maxTps: 30 });
    const receipts = collectReceipts(provider);
    await waitForBinds(provider, 3);
    expect(provider.state).toBe("bound");

    const ids = Array.from({ length: 75 }, () => `multi-${randomUUID()}`);
    const sending = Promise.all(ids.map((id) => provider.submit(sms(id, "+447911123456"))));
    const results = await sending;
    for (const r of results) expectOk(r);

    const sessions = sim.sessions().filter((s) => s.systemId === SYSTEM_ID);
    expect(sessions.map((s) => s.mode)).toEqual(["transceiver", "transceiver", "transceiver"]);
    expect(sessions.reduce((n, s) => n + s.accepted, 0)).toBe(ids.length);
    for (const s of sessions) expect(s.accepted).toBeGreaterThanOrEqual(15);
    expect(await sim.stats()).toMatchObject({ messages: ids.length, duplicates: 0, throttled: 0 });
    await waitFor(
      async () => results.filter((r) => r.ok && receipts.has(r.providerMessageId)).length,
      (n) => n === ids.length,
      { what: "a receipt for every message, whichever bind it came on" },
    );
  });

  it("fills every bind's window: as many submit_sm on the wire at once as binds times window", async () => {
    const { sim } = await startSimulator(`it-${randomUUID()}`);
    const provider = startProvider(sim.port, { binds: 3, windowSize: 4 });
    await waitForBinds(provider, 3);
    const sending = Promise.all(
      Array.from({ length: 30 }, () => provider.submit(sms(`win-${randomUUID()}`, "+447911123456"))),
    );
    // Written synchronously by submit(): the responses cannot have come back yet.
    expect(provider.windowInUse).toBe(12);
    for (const r of await sending) expectOk(r);
    expect(provider.windowInUse).toBe(0);
  });

  it("keeps sending on the other binds while one drops, rebinds it, and receives no message twice", async () => {
    const { sim } = await startSimulator(`it-${randomUUID()}`);
    // A slow reconnect, so that the dropped bind stays down while the other carries on.
    const provider = startProvider(sim.port, {
      binds: 2,
      windowSize: 5,
      maxTps: 100,
      reconnectBaseMs: 1_500,
      reconnectMaxMs: 3_000,
    });
    let bound = 0;
    provider.on("bound", () => bound++);
    await waitForBinds(provider, 2);

    const ids = Array.from({ length: 200 }, () => `drop-${randomUUID()}`);
    const accepted = new Set<string>();
    const unconfirmed: string[] = [];
    const send = async (id: string) => {
      for (;;) {
        const result = await provider.submit(sms(id, "+447911123456"));
        if (result.ok) return void accepted.add(id);
        // On the wire when its session dropped: bulk-proc leaves such a message to its receipt, never resends it.
        if (result.mayHaveBeenSent) return void unconfirmed.push(`${id} ${result.reason}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const sending = Promise.all(ids.map(send));
    await waitFor(
      async () => accepted.size,
      (n) => n >= 50,
      { what: "a quarter sent" },
    );
    // Through the control API, as an operator trying failover would.
    const control = `http://127.0.0.1:${sim.httpPort}`;
    const sessions = (await (await fetch(`${control}/sessions`)).json()) as { systemId: string; mode: string }[];
    expect(sessions.filter((s) => s.systemId === SYSTEM_ID && s.mode === "transceiver")).toHaveLength(2);
    const dropped = await fetch(`${control}/sessions/drop?systemId=${SYSTEM_ID}`, { method: "POST" });
    expect(dropped.status).toBe(200);
    expect((await fetch(`${control}/sessions/drop?systemId=nobody`, { method: "POST" })).status).toBe(404);
    const duringDrop = accepted.size;
    await waitFor(
      async () => accepted.size,
      (n) => n >= duringDrop + 20,
      { what: "sending on while a bind is down" },
    );
    expect(provider.bindsBound).toBe(1);
    expect(provider.state).toBe("bound");
    await sending;

    // Only what the dropped session had on the wire is in doubt; everything else went through.
    expect(unconfirmed.length).toBeLessThanOrEqual(5);
    for (const u of unconfirmed) expect(u).toMatch(/ DISCONNECTED$/);
    expect(accepted.size + unconfirmed.length).toBe(ids.length);
    await waitForBinds(provider, 2, "the dropped bind back");
    expect(bound).toBeGreaterThanOrEqual(3);
    const stats = await sim.stats();
    expect(stats.duplicates).toBe(0);
    for (const id of accepted) expect(await sim.messageCount(id)).toMatchObject({ received: 1, maxPartCopies: 1 });
  });

  it("rebinds after a simulator restart mid-stream and completes every message, none received twice", async () => {
    const namespace = `it-${randomUUID()}`;
    const first = await startSimulator(namespace);
    const port = first.sim.port;
    const provider = startProvider(port, { maxTps: 60 });
    const receipts = collectReceipts(provider);
    let binds = 0;
    provider.on("bound", () => binds++);
    await provider.waitForBind(10_000);

    const ids = Array.from({ length: 150 }, () => `rst-${randomUUID()}`);
    const ambiguous: string[] = [];
    const accepted = new Map<string, string>();
    // A sender that retries what the SMSC certainly did not take, as bulk-proc will.
    const send = async (id: string) => {
      for (;;) {
        const result = await provider.submit(sms(id, "+447911123456"));
        if (result.ok) return void accepted.set(id, result.providerMessageId);
        if (result.mayHaveBeenSent || result.kind === "permanent") return void ambiguous.push(`${id} ${result.reason}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const sending = Promise.all(ids.map(send));

    await waitFor(
      async () => accepted.size,
      (n) => n >= 40,
      { what: "a third of the messages sent before the restart" },
    );
    await first.sim.stop();
    expect(accepted.size).toBeLessThan(ids.length);
    await new Promise((r) => setTimeout(r, 300));
    const second = await startSimulator(namespace, { port });

    await sending;
    expect(ambiguous).toEqual([]);
    expect(accepted.size).toBe(ids.length);
    expect(binds).toBeGreaterThanOrEqual(2);

    const stats = await second.sim.stats();
    expect(stats).toMatchObject({ messages: ids.length, submitted: ids.length, duplicates: 0 });
    for (const id of ids) expect(await second.sim.messageCount(id)).toMatchObject({ received: 1, maxPartCopies: 1 });

    // Receipts owed before the restart were kept in Redis and arrive too.
    await waitFor(
      async () => [...accepted.values()].filter((pid) => receipts.has(pid)).length,
      (n) => n === ids.length,
      { what: "a receipt for every message", timeoutMs: 60_000 },
    );
  });
});
