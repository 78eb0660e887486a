import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startBulkProc } from "@/server/delivery/bulk-proc-worker";
import { handleInboundWebhook } from "@/server/delivery/http/webhook";
import { STATUS } from "@/server/delivery/smpp/protocol";
import { TOPICS } from "@/server/kafka/topics";
import { createLogger } from "@/server/logger";
import { answerMessageId, processInboundBatch } from "@/server/inbound/process";
import { findOptedOut } from "@/server/optouts/store";
import type { StartedWorker } from "@/server/worker/run-worker";
import {
  callerAs,
  createTestClient,
  createTestDeps,
  PREPAID_DELIVERY_STAGES,
  readTopic,
  startStages,
  waitFor,
} from "./helpers";
import { smscFixture } from "./smsc-fixture";

// Handsets' replies end to end against real Kafka, Postgres, Redis and the SMSC simulator: a deliver_sm from the
// simulator (mobile-originated) → bulk-proc's bind → inbound-messages → the inbound worker → stored, STOP/START applied
// to the opt-outs the validator checks → the next campaign skips the number that said STOP.

let deps: Awaited<ReturnType<typeof createTestDeps>>;
let stages: { stop(): Promise<void> };
let bulkProc: StartedWorker | undefined;
const log = createLogger("inbound-test");
const smsc = smscFixture(() => deps, log);

beforeAll(async () => {
  deps = await createTestDeps();
  stages = await startStages(deps, [...PREPAID_DELIVERY_STAGES, "inbound"]);
  bulkProc = await startBulkProc({ ...deps, env: { ...deps.env, DELIVERY_PROVIDER_NAME_PREFIX: smsc.namePrefix() } });
});

afterEach(() => smsc.stopSimulators());

afterAll(async () => {
  await bulkProc?.stop();
  await stages?.stop();
  await smsc.cleanup();
  await deps?.close();
});

/**
 * Valid UK mobiles (the simulator delivers them), +4479112 and 5 digits: a block of 100 per call, none shared by two
 * calls of this run. Earlier runs may have used them: what a test looks for is what this run made (see optOutRows).
 */
let nextBlock = Math.floor(Math.random() * 800) + 100;
function numbers(count: number): string[] {
  const block = nextBlock++;
  return Array.from({ length: count }, (_, i) => `+4479112${block}${String(i + 10).padStart(2, "0")}`);
}

const runStartedAt = new Date();

async function runCampaign(clientId: string, recipients: string[]) {
  const caller = await callerAs(deps.api, "OPERATOR");
  const c = await caller.campaigns.create({
    clientId,
    name: `inbound ${randomUUID().slice(0, 6)}`,
    senderId: "TESTCO",
    template: "Your appointment is tomorrow at 10:00",
    recipients: { kind: "paste", text: recipients.join("\n") },
  });
  await caller.campaigns.launch({ id: c.id });
  await waitFor(
    () => caller.campaigns.get({ id: c.id }),
    (v) => v.status === "COMPLETED" && v.processed === recipients.length,
    { what: `campaign ${c.id} to complete`, timeoutMs: 90_000, intervalMs: 500 },
  );
  const rows = await deps.db.prisma.message.findMany({ where: { campaignId: c.id } });
  return Object.assign(
    new Map(rows.map((m) => [m.recipient, `${m.status}${m.statusReason ? ` ${m.statusReason}` : ""}`])),
    { campaignId: c.id, messageIdOf: (recipient: string) => rows.find((m) => m.recipient === recipient)!.id },
  );
}

/** The inbound row of the handset's latest message of this run to `address`, once the inbound worker has stored it. */
function storedReply(msisdn: string, address: string, body: string) {
  return waitFor(
    () =>
      deps.db.prisma.inboundMessage.findFirst({
        where: { msisdn, address, body, receivedAt: { gte: runStartedAt } },
        orderBy: { receivedAt: "desc" },
      }),
    (row) => row !== null,
    { what: `reply "${body}" from ${msisdn} stored`, timeoutMs: 30_000 },
  ).then((row) => row!);
}

/** The client's answer to a reply, once delivered. */
function deliveredAnswer(replyId: string) {
  return waitFor(
    () => deps.db.prisma.message.findUnique({ where: { id: answerMessageId(replyId) } }),
    (m) => m?.status === "DELIVERED",
    { what: `the answer to ${replyId} delivered`, timeoutMs: 30_000 },
  ).then((m) => m!);
}

const inboundDeps = () => ({ ...deps, topicPrefix: deps.env.KAFKA_TOPIC_PREFIX });

/** The handset's opt-outs made by this run. */
const optOutRows = (msisdn: string) =>
  deps.db.prisma.optOut.findMany({ where: { msisdn, createdAt: { gte: runStartedAt } }, orderBy: { scope: "asc" } });

describe("inbound messages (replies) through bulk-proc's bind and the inbound worker", () => {
  it("a STOP reply opts the handset out of the client it answers, the next campaign skips it, START opts it back in", async () => {
    const { sim } = await smsc.startSimulator(`it-${randomUUID()}`);
    const client = await createTestClient(deps.api, { balance: 10_000n });
    await smsc.routeToSimulator(client.id, sim.port);
    const operator = await callerAs(deps.api, "OPERATOR");
    const answers = { stop: "Testco: no more messages. Reply START to resubscribe.", start: "Testco: welcome back." };
    await operator.inbound.setAnswers({ clientId: client.id, ...answers, help: " " });
    expect(await operator.inbound.answers({ clientId: client.id })).toEqual({ ...answers, help: null });
    const [stopper, replier, quiet] = numbers(3) as [string, string, string];
    const first = await runCampaign(client.id, [stopper, replier, quiet]);
    expect([...first.values()]).toEqual(["DELIVERED", "DELIVERED", "DELIVERED"]);

    // As carriers send them: international number without its "+", to the sender id the message came from.
    expect(await sim.sendMobileOriginated({ from: stopper.slice(1), to: "TESTCO", text: "Stop." })).toBe(
      STATUS.ESME_ROK,
    );
    expect(await sim.sendMobileOriginated({ from: replier.slice(1), to: "TESTCO", text: "Can I move it to 11?" })).toBe(
      STATUS.ESME_ROK,
    );

    const stop = await storedReply(stopper, "TESTCO", "Stop.");
    expect(stop).toMatchObject({
      clientId: client.id,
      keyword: "OPT_OUT",
      appliedTo: [client.id],
      inReplyTo: first.messageIdOf(stopper),
      campaignId: first.campaignId,
    });
    const reply = await storedReply(replier, "TESTCO", "Can I move it to 11?");
    expect(reply).toMatchObject({ clientId: client.id, keyword: null, appliedTo: [] });
    expect(await optOutRows(stopper)).toMatchObject([{ scope: client.id, clientId: client.id, source: "REPLY" }]);
    expect(await optOutRows(replier)).toEqual([]);
    // What the validator checks (Redis), not only the record.
    expect(await findOptedOut(deps.db, deps.redis, client.id, [stopper, replier, quiet])).toEqual(new Set([stopper]));
    // The client's answer to the STOP reaches the number it opted out, from the address the STOP went to, once.
    expect(await deliveredAnswer(stop.id)).toMatchObject({
      clientId: client.id,
      recipient: stopper,
      sender: "TESTCO",
      body: answers.stop,
      category: "AGENT_FLOW",
    });
    expect(await sim.messageCount(answerMessageId(stop.id))).toMatchObject({ received: 1 });
    // A reply that is no keyword gets none.
    expect(await deps.db.prisma.message.findUnique({ where: { id: answerMessageId(reply.id) } })).toBeNull();

    const second = await runCampaign(client.id, [stopper, replier, quiet]);
    expect(second.get(stopper)).toBe("REJECTED OPTED_OUT");
    expect(second.get(replier)).toBe("DELIVERED");
    expect(second.get(quiet)).toBe("DELIVERED");

    // START lifts the opt-out the STOP made.
    expect(await sim.sendMobileOriginated({ from: stopper.slice(1), to: "TESTCO", text: "START" })).toBe(
      STATUS.ESME_ROK,
    );
    const start = await storedReply(stopper, "TESTCO", "START");
    expect(start).toMatchObject({ clientId: client.id, keyword: "OPT_IN", appliedTo: [client.id] });
    expect(await deliveredAnswer(start.id)).toMatchObject({ recipient: stopper, body: answers.start });
    expect(await optOutRows(stopper)).toEqual([]);
    expect(await findOptedOut(deps.db, deps.redis, client.id, [stopper])).toEqual(new Set());
    // Text outside the GSM alphabet comes as UCS-2 (data_coding 8).
    expect(await sim.sendMobileOriginated({ from: replier.slice(1), to: "TESTCO", text: "Спасибо 👍" })).toBe(
      STATUS.ESME_ROK,
    );
    // The replier's latest message is the second campaign's; the stopper's was refused, so its START answers the last
    // it got: the answer to its STOP ("Reply START to resubscribe"), which is no campaign's.
    expect(await storedReply(replier, "TESTCO", "Спасибо 👍")).toMatchObject({
      clientId: client.id,
      keyword: null,
      inReplyTo: second.messageIdOf(replier),
      campaignId: second.campaignId,
    });
    expect(start).toMatchObject({ inReplyTo: answerMessageId(stop.id), campaignId: null });
    expect(await operator.inbound.campaignCounts({ campaignId: first.campaignId })).toEqual({ replies: 2, optOuts: 1 });
    expect(await operator.inbound.campaignCounts({ campaignId: second.campaignId })).toEqual({
      replies: 1,
      optOuts: 0,
    });
    const toFirst = await operator.inbound.list({ campaignId: first.campaignId });
    expect(toFirst.items.map((r) => r.body)).toEqual(["Can I move it to 11?", "Stop."]);
  });

  it("a STOP to a sender id several clients share opts out of each of them; one to an address nobody has is only stored", async () => {
    const { sim } = await smsc.startSimulator(`it-${randomUUID()}`);
    const shared = `S${randomUUID().slice(0, 8).toUpperCase()}`;
    const a = await createTestClient(deps.api);
    const b = await createTestClient(deps.api);
    await deps.db.prisma.senderId.createMany({ data: [a, b].map((c) => ({ clientId: c.id, value: shared })) });
    await smsc.routeToSimulator(a.id, sim.port);
    const [handset, stranger] = numbers(2) as [string, string];

    await sim.sendMobileOriginated({ from: handset.slice(1), to: shared, text: "unsubscribe" });
    const stop = await storedReply(handset, shared, "unsubscribe");
    // No message of either went to this handset: both own the address, neither is "the" client.
    expect(stop.clientId).toBeNull();
    expect([...stop.appliedTo].sort()).toEqual([a.id, b.id].sort());
    expect((await optOutRows(handset)).map((o) => o.scope)).toEqual([a.id, b.id].sort());

    const nobody = `N${randomUUID().slice(0, 8).toUpperCase()}`;
    await sim.sendMobileOriginated({ from: stranger.slice(1), to: nobody, text: "STOP" });
    const orphan = await storedReply(stranger, nobody, "STOP");
    expect(orphan).toMatchObject({ clientId: null, keyword: "OPT_OUT", appliedTo: [] });
    expect(await optOutRows(stranger)).toEqual([]);
  });

  it("a broken record on inbound-messages is dead-lettered and the replies behind it are still applied", async () => {
    const [handset] = numbers(1) as [string];
    const client = await createTestClient(deps.api);
    const address = `A${randomUUID().slice(0, 8).toUpperCase()}`;
    await deps.db.prisma.senderId.create({ data: { clientId: client.id, value: address } });
    const topic = deps.env.KAFKA_TOPIC_PREFIX + TOPICS.inbound.name;
    const poison = JSON.stringify({ v: 1, inboundId: `in-${randomUUID()}`, from: handset, text: "STOP" });
    const good = {
      v: 1,
      inboundId: `in-${randomUUID()}`,
      providerId: "test",
      from: handset.slice(1),
      to: address,
      text: "STOP",
      receivedAt: new Date().toISOString(),
    };
    // Same key: the same partition, the poison first.
    await deps.producer.send(topic, [
      { key: handset.slice(1), value: poison },
      { key: handset.slice(1), value: JSON.stringify(good) },
    ]);
    expect(await storedReply(handset, address, "STOP")).toMatchObject({ clientId: client.id, appliedTo: [client.id] });
    expect(await optOutRows(handset)).toMatchObject([{ scope: client.id, source: "REPLY" }]);
    const dead = await readTopic(deps.kafka, deps.env.KAFKA_TOPIC_PREFIX + TOPICS.inbound.dlq, (records) =>
      records.some((r) => r.value === poison),
    );
    expect(dead.find((r) => r.value === poison)?.headers["volley-dlq-error"]).toMatch(/providerId|to|receivedAt/);
  });

  it("lists replies newest first for the console, by client, number and keyword, a cursor page at a time", async () => {
    const client = await createTestClient(deps.api);
    const address = `L${randomUUID().slice(0, 8).toUpperCase()}`;
    await deps.db.prisma.senderId.create({ data: { clientId: client.id, value: address } });
    const [handset, other] = numbers(2) as [string, string];
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, s)).toISOString();
    const record = (from: string, text: string, second: number) => ({
      v: 1 as const,
      inboundId: `in-${randomUUID()}`,
      providerId: "test",
      from,
      to: address,
      text,
      receivedAt: at(second),
    });
    await processInboundBatch(inboundDeps(), [
      record(handset.slice(1), "Hi", 1),
      record(handset.slice(1), "STOP", 2),
      record(other.slice(1), "help", 3),
    ]);
    const viewer = await callerAs(deps.api, "VIEWER");

    const first = await viewer.inbound.list({ clientId: client.id, limit: 2 });
    expect(first.items.map((r) => r.body)).toEqual(["help", "STOP"]);
    expect(first.items[1]).toMatchObject({
      msisdn: handset,
      keyword: "OPT_OUT",
      clientName: client.name,
      appliedTo: [{ id: client.id, name: client.name }],
    });
    const second = await viewer.inbound.list({ clientId: client.id, limit: 2, cursor: first.nextCursor });
    expect(second.items.map((r) => r.body)).toEqual(["Hi"]);
    expect(second.nextCursor).toBeNull();

    // A number as people type it, without its "+".
    const byNumber = await viewer.inbound.list({ msisdn: `${handset.slice(1, 3)} ${handset.slice(3)}` });
    expect(byNumber.items.map((r) => r.body)).toEqual(["STOP", "Hi"]);
    expect((await viewer.inbound.list({ clientId: client.id, keyword: "none" })).items.map((r) => r.body)).toEqual([
      "Hi",
    ]);
    expect((await viewer.inbound.list({ clientId: client.id, keyword: "HELP" })).items.map((r) => r.body)).toEqual([
      "help",
    ]);
  });

  it("takes an HTTP provider's replies on its inbound webhook, with its token, like those on a bind", async () => {
    const token = `tok-${randomUUID()}`;
    const provider = await deps.db.prisma.provider.create({
      data: {
        name: `inbound-http-${randomUUID().slice(0, 8)}`,
        kind: "HTTP",
        enabled: false,
        settings: { url: "https://sms.example.com/send", receiptToken: token, inboundFromPath: "msisdn" },
      },
    });
    const client = await createTestClient(deps.api);
    const address = `H${randomUUID().slice(0, 8).toUpperCase()}`;
    await deps.db.prisma.senderId.create({ data: { clientId: client.id, value: address } });
    const [handset] = numbers(1) as [string];
    const call = (body: unknown, presented = token) =>
      handleInboundWebhook(
        deps.api,
        provider.id,
        new Request(`http://127.0.0.1/api/providers/${provider.id}/inbound`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-volley-webhook-token": presented },
          body: JSON.stringify(body),
        }),
      );

    expect((await call({ msisdn: handset, to: address, text: "STOP" }, "wrong-token-0000000")).status).toBe(401);
    const refused = await call([{ to: address, text: "STOP" }]);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: { message: "Reply 0 has no number at 'msisdn'" } });

    const ok = await call([
      { msisdn: handset.slice(1), to: address, text: "What time?" },
      { msisdn: handset.slice(1), to: address, text: "end" },
    ]);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ accepted: 2 });
    expect(await storedReply(handset, address, "end")).toMatchObject({
      providerId: provider.id,
      clientId: client.id,
      keyword: "OPT_OUT",
    });
    expect(await storedReply(handset, address, "What time?")).toMatchObject({ providerId: provider.id, keyword: null });
    expect(await optOutRows(handset)).toMatchObject([{ scope: client.id, source: "REPLY" }]);
    await deps.db.prisma.provider.delete({ where: { id: provider.id } });
  });
});
