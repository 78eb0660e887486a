import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRPCError } from "@trpc/server";
import { campaignMessageId } from "@/server/campaigns/service";
import { DLQ_HEADERS, TOPICS, type BulkMessage } from "@/server/kafka/topics";
import type { StartedWorker } from "@/server/worker/run-worker";
import { startValidator } from "@/server/validation/validator";
import { callerAs, createTestClient, createTestDeps, waitFor, waitForGroupCaughtUp } from "./helpers";

// The first end-to-end slice against real Postgres and Kafka: a campaign is
// created and launched through tRPC, the validator consumes bulk-topic and
// writes each message with its status.

let deps: Awaited<ReturnType<typeof createTestDeps>>;
let validator: StartedWorker;
const topic = () => deps.env.KAFKA_TOPIC_PREFIX + TOPICS.bulk.name;
const dlqTopic = () => deps.env.KAFKA_TOPIC_PREFIX + TOPICS.bulk.dlq;
const groupId = () => `${deps.env.KAFKA_TOPIC_PREFIX}validator`;

beforeAll(async () => {
  deps = await createTestDeps();
  validator = await startValidator(deps);
});

afterAll(async () => {
  await validator?.stop();
  await deps?.close();
});

async function messagesOf(campaignId: string) {
  return deps.db.prisma.message.findMany({ where: { campaignId }, orderBy: { id: "asc" } });
}

describe("campaign slice", () => {
  it("launches a campaign and writes every recipient with its status", async () => {
    const client = await createTestClient(deps.api, { defaultCountry: "GB" });
    const caller = await callerAs(deps.api, "OPERATOR");
    const valid = ["+447911123401", "07911 123402", "+447911123403"];
    const invalid = ["12", "not-a-number"];
    const campaign = await caller.campaigns.create({
      clientId: client.id,
      name: "Slice test",
      senderId: "TESTCO",
      template: "Hello from Volley",
      category: "MARKETING",
      recipients: [...valid, ...invalid].join("\n"),
    });
    expect(campaign.status).toBe("DRAFT");
    expect(campaign.recipientCount).toBe(5);

    const launched = await caller.campaigns.launch({ id: campaign.id });
    expect(launched.published).toBe(5);

    const view = await waitFor(
      () => caller.campaigns.get({ id: campaign.id }),
      (c) => c.processed === 5,
      { what: "all 5 messages to be written" },
    );
    expect(view.status).toBe("RUNNING");
    expect(view.counts).toEqual({ ACCEPTED: 3, REJECTED: 2 });

    const rows = await messagesOf(campaign.id);
    expect(rows.map((r) => r.id).sort()).toEqual(
      [1, 2, 3, 4, 5].map((row) => campaignMessageId(campaign.id, row)).sort(),
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    // Local numbers are normalised to E.164 with the client's default country.
    expect(byId.get(campaignMessageId(campaign.id, 2))).toMatchObject({
      recipient: "+447911123402",
      status: "ACCEPTED",
    });
    expect(byId.get(campaignMessageId(campaign.id, 4))).toMatchObject({
      status: "REJECTED",
      statusReason: "INVALID_NUMBER",
    });
    expect(rows.every((r) => r.body === "Hello from Volley" && r.sender === "TESTCO")).toBe(true);

    // A campaign launches once.
    await expect(caller.campaigns.launch({ id: campaign.id })).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("writes a redelivered message once", async () => {
    const client = await createTestClient(deps.api);
    const caller = await callerAs(deps.api, "OPERATOR");
    const campaign = await caller.campaigns.create({
      clientId: client.id,
      name: "Replay test",
      senderId: "TESTCO",
      template: "Hi",
      recipients: "+447911123410\n+447911123411",
    });
    await caller.campaigns.launch({ id: campaign.id });
    await waitFor(
      () => messagesOf(campaign.id),
      (rows) => rows.length === 2,
      { what: "2 messages" },
    );

    // The same records again, as a producer retry or a replay would send them.
    const replay: BulkMessage[] = [1, 2].map((row) => ({
      v: 1,
      messageId: campaignMessageId(campaign.id, row),
      clientId: client.id,
      campaignId: campaign.id,
      row,
      recipient: "+447911123499",
      sender: "TESTCO",
      template: "changed",
      variables: {},
      category: "MARKETING",
      createdAt: new Date().toISOString(),
    }));
    await deps.producer.send(
      topic(),
      replay.map((m) => ({ key: m.clientId, value: JSON.stringify(m) })),
    );
    await waitForGroupCaughtUp(deps.kafka, groupId(), topic());

    const rows = await messagesOf(campaign.id);
    expect(rows).toHaveLength(2);
    expect(rows.every((r) => r.body === "Hi")).toBe(true);
  });

  it("dead-letters poison records and keeps the partition flowing", async () => {
    const client = await createTestClient(deps.api);
    const good: BulkMessage = {
      v: 1,
      messageId: `api-${client.id}-after-poison`,
      clientId: client.id,
      campaignId: null,
      row: null,
      recipient: "+447911123420",
      sender: "TESTCO",
      template: "after poison",
      variables: {},
      category: "AUTHENTICATION",
      createdAt: new Date().toISOString(),
    };
    const unknownClient = { ...good, messageId: `api-${client.id}-unknown`, clientId: `missing-${client.id}` };
    // Same key → same partition: the good record sits behind the poison ones.
    await deps.producer.send(topic(), [
      { key: client.id, value: "{not json" },
      { key: client.id, value: JSON.stringify({ v: 1, messageId: "x" }) },
      { key: client.id, value: JSON.stringify(unknownClient) },
      { key: client.id, value: JSON.stringify(good) },
    ]);

    const written = await waitFor(
      () => deps.db.prisma.message.findUnique({ where: { id: good.messageId } }),
      (m) => m !== null,
      { what: "the record behind the poison to be written" },
    );
    expect(written).toMatchObject({ status: "ACCEPTED", category: "AUTHENTICATION" });

    const dead = await readTopic(dlqTopic(), (records) => records.filter((r) => r.key === client.id).length >= 3);
    const mine = dead.filter((r) => r.key === client.id);
    expect(mine.map((r) => r.value)).toEqual([
      "{not json",
      JSON.stringify({ v: 1, messageId: "x" }),
      JSON.stringify(unknownClient),
    ]);
    expect(mine[0]!.headers[DLQ_HEADERS.error]).toMatch(/^invalid JSON/);
    expect(mine[1]!.headers[DLQ_HEADERS.error]).toMatch(/^schema: /);
    expect(mine[2]!.headers[DLQ_HEADERS.error]).toContain("unknown client");
    expect(mine[0]!.headers[DLQ_HEADERS.topic]).toBe(topic());
    expect(Number(mine[0]!.headers[DLQ_HEADERS.offset])).toBeGreaterThanOrEqual(0);
  });
});

describe("campaign procedures", () => {
  it("refuses callers without a session and read-only operators", async () => {
    const client = await createTestClient(deps.api);
    const input = { clientId: client.id, name: "x", senderId: "TESTCO", template: "x", recipients: "+447911123401" };
    await expect((await callerAs(deps.api, null)).campaigns.create(input)).rejects.toMatchObject({
      code: "UNAUTHORIZED",
    });
    await expect((await callerAs(deps.api, "VIEWER")).campaigns.create(input)).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
  });

  it("rejects bad input field by field and unknown clients by name", async () => {
    const caller = await callerAs(deps.api, "OPERATOR");
    const err = await caller.campaigns
      .create({ clientId: "c", name: "", senderId: "TOO-LONG-SENDER-ID", template: "x", recipients: "1" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCError);
    expect((err as TRPCError).code).toBe("BAD_REQUEST");
    await expect(
      caller.campaigns.create({
        clientId: "no-such-client",
        name: "n",
        senderId: "S",
        template: "x",
        recipients: "+447911123401",
      }),
    ).rejects.toMatchObject({ code: "NOT_FOUND", message: "Unknown client no-such-client" });
  });
});

type RawRecord = { key: string | null; value: string; headers: Record<string, string> };

async function readTopic(name: string, done: (records: RawRecord[]) => boolean): Promise<RawRecord[]> {
  const consumer = deps.kafka.consumer({ groupId: `reader-${Date.now()}-${Math.random()}` });
  const records: RawRecord[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: name, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      records.push({
        key: message.key?.toString() ?? null,
        value: message.value?.toString() ?? "",
        headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
      });
    },
  });
  try {
    await waitFor(async () => records, done, { what: `records on ${name}` });
    return records;
  } finally {
    await consumer.disconnect();
  }
}
