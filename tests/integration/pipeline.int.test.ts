import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { campaignMessageId } from "@/server/campaigns/service";
import { partitionOfKey } from "@/server/kafka/partitioner";
import { DLQ_HEADERS, TOPICS, type BulkMessage } from "@/server/kafka/topics";
import { addOptOut, removeOptOut } from "@/server/optouts/store";
import { createUploadFromStream } from "@/server/uploads/service";
import { Readable } from "node:stream";
import {
  callerAs,
  createTestClient,
  createTestDeps,
  partitionCount,
  readTopic,
  routedOnTopic,
  startStages,
  waitFor,
  waitForGroupCaughtUp,
  type RawRecord,
} from "./helpers";

// The campaign pipeline against real Postgres, Redis and Kafka: launch →
// launcher → bulk-topic → validator → billing lanes + message-status →
// status writer → message rows and live counters.

let deps: Awaited<ReturnType<typeof createTestDeps>>;
// Global opt-outs affect every client sharing this Redis and database (the
// browser tests too): use a number nobody else sends to, and remove it after.
const globalOptOut = "+447911129404";
let stages: { stop(): Promise<void> };
const prefixed = (name: string) => deps.env.KAFKA_TOPIC_PREFIX + name;

beforeAll(async () => {
  deps = await createTestDeps();
  stages = await startStages(deps);
});

afterAll(async () => {
  await removeOptOut(deps.db, deps.redis, globalOptOut, null);
  await stages?.stop();
  await deps?.close();
});

async function uploadCsv(csv: string) {
  return createUploadFromStream(deps.db, Readable.from([Buffer.from(csv)]), {
    fileName: "t.csv",
    maxBytes: 1 << 20,
    operatorId: null,
  });
}

async function statusesOf(campaignId: string) {
  const rows = await deps.db.prisma.message.findMany({ where: { campaignId }, orderBy: { id: "asc" } });
  return new Map(rows.map((r) => [r.id, r]));
}

describe("campaign pipeline", () => {
  it("ends every recipient with the expected status and reason code", async () => {
    const client = await createTestClient(deps.api, { defaultCountry: "GB" });
    await addOptOut(deps.db, deps.redis, globalOptOut, null);
    await addOptOut(deps.db, deps.redis, "+447911123405", client.id);
    const upload = await uploadCsv(
      [
        "phone,name",
        "+447911123401,Ann", // 1 accepted
        "07911 123402,Bob", // 2 accepted (local number, default country GB)
        "+447911123403,Cé", // 3 accepted
        "not-a-number,Dan", // 4 invalid
        `${globalOptOut},Eve`, // 5 opted out globally
        "+447911123405,Fay", // 6 opted out for this client
        "+44 7911 123401,Gus", // 7 duplicate of row 1
        "+447911123406,", // 8 missing variable
        "+442079460000,Hal", // 9 fixed line
      ].join("\n"),
    );
    const caller = await callerAs(deps.api, "OPERATOR");
    const campaign = await caller.campaigns.create({
      clientId: client.id,
      name: "Mixed",
      senderId: "TESTCO",
      template: "Hi {{name}}, our sale starts now",
      recipients: { kind: "upload", uploadId: upload.id },
    });
    expect(campaign.recipientCount).toBe(9);
    expect((await caller.campaigns.launch({ id: campaign.id })).status).toBe("RUNNING");

    const view = await waitFor(
      () => caller.campaigns.get({ id: campaign.id }),
      (c) => c.processed === 9,
      { what: "all 9 recipients to have a status", timeoutMs: 60_000 },
    );
    expect(view.counts).toEqual({ ACCEPTED: 3, REJECTED: 6 });
    const rows = await statusesOf(campaign.id);
    const outcome = (row: number) => {
      const m = rows.get(campaignMessageId(campaign.id, row));
      return `${m?.status}${m?.statusReason ? ` ${m.statusReason}` : ""}`;
    };
    expect([2, 3, 4, 5, 6, 8, 9].map(outcome)).toEqual([
      "ACCEPTED",
      "ACCEPTED",
      "REJECTED INVALID_NUMBER",
      "REJECTED OPTED_OUT",
      "REJECTED OPTED_OUT",
      "REJECTED MISSING_VARIABLE",
      "REJECTED NOT_MOBILE",
    ]);
    // Rows 1 and 7 are one number spelled two ways: exactly one is sent.
    expect([outcome(1), outcome(7)].sort()).toEqual(["ACCEPTED", "REJECTED DUPLICATE_RECIPIENT"]);
    expect(rows.get(campaignMessageId(campaign.id, 2))).toMatchObject({
      recipient: "+447911123402",
      body: "Hi Bob, our sale starts now",
      encoding: "GSM7",
      segments: 1,
    });
    // Cé is GSM-7 (é is in the basic table).
    expect(rows.get(campaignMessageId(campaign.id, 3))?.encoding).toBe("GSM7");

    // The accepted ones are on the prepaid marketing lane, for this account, keyed by message.
    const account = await deps.db.prisma.account.findFirstOrThrow({ where: { clientId: client.id } });
    // At least once (a produce retried after a lost ack lands twice): one record per message.
    const mineOn = (records: { partition: number; value: string }[]) => [
      ...new Map(
        records.flatMap((r) =>
          routedOnTopic([r])
            .filter((m) => m.campaignId === campaign.id)
            .map((m) => [m.messageId, { ...m, partition: r.partition }] as const),
        ),
      ).values(),
    ];
    const lane = prefixed(TOPICS.prepaidLowBulk.name);
    const mine = mineOn(await readTopic(deps.kafka, lane, (records) => mineOn(records).length >= 3));
    expect(mine.every((m) => m.accountId === account.id)).toBe(true);
    // Packed or not, each message is on the partition its message id hashes to.
    const partitions = await partitionCount(deps.kafka, lane);
    expect(mine.map((m) => m.partition)).toEqual(mine.map((m) => partitionOfKey(m.messageId, partitions)));
    expect(mine.map((m) => m.recipient).sort()).toEqual(["+447911123401", "+447911123402", "+447911123403"]);

    // A sender the client may not use rejects the whole campaign's messages.
    const other = await caller.campaigns.create({
      clientId: client.id,
      name: "Wrong sender",
      senderId: "NOTMINE",
      template: "x",
      recipients: { kind: "paste", text: "+447911123407\n+447911123408" },
    });
    await caller.campaigns.launch({ id: other.id });
    const done = await waitFor(
      () => caller.campaigns.get({ id: other.id }),
      (c) => c.status === "COMPLETED",
      { what: "the all-rejected campaign to complete", timeoutMs: 60_000 },
    );
    expect(done.counts).toEqual({ REJECTED: 2 });
    expect([...(await statusesOf(other.id)).values()].every((m) => m.statusReason === "SENDER_NOT_ALLOWED")).toBe(true);
  });

  it("pauses, resumes and cancels across the stages", async () => {
    const client = await createTestClient(deps.api);
    const caller = await callerAs(deps.api, "OPERATOR");
    const numbers = Array.from({ length: 120 }, (_, i) => `+4479111${String(30000 + i)}`);
    const campaign = await caller.campaigns.create({
      clientId: client.id,
      name: "Paced",
      senderId: "TESTCO",
      template: "Paced message",
      recipients: { kind: "paste", text: numbers.join("\n") },
      // Slow enough (12 s for all of it) that the pause lands while rows are left to publish.
      rateLimitPerSecond: 10,
    });
    await caller.campaigns.launch({ id: campaign.id });
    await waitFor(
      () => deps.db.prisma.campaign.findUniqueOrThrow({ where: { id: campaign.id } }),
      (c) => c.launchedRows >= 20,
      { what: "some progress", timeoutMs: 60_000 },
    );
    await caller.campaigns.pause({ id: campaign.id });
    // The launcher publishes at most one more batch before it sees the pause and lets go; then nothing moves on.
    const paused = await waitFor(
      () => deps.db.prisma.campaign.findUniqueOrThrow({ where: { id: campaign.id } }),
      (c) => c.launcherId === null,
      { what: "the launcher to let go of the paused campaign" },
    );
    await new Promise((r) => setTimeout(r, 1500));
    const stillPaused = await deps.db.prisma.campaign.findUniqueOrThrow({ where: { id: campaign.id } });
    expect(stillPaused.launchedRows).toBe(paused.launchedRows);
    expect(paused.launchedRows).toBeLessThan(120);

    await caller.campaigns.resume({ id: campaign.id });
    const view = await waitFor(
      () => caller.campaigns.get({ id: campaign.id }),
      (c) => (c.counts.ACCEPTED ?? 0) === 120,
      { what: "all 120 accepted after resume", timeoutMs: 60_000 },
    );
    expect(view.counts).toEqual({ ACCEPTED: 120 });

    // Cancel a paced campaign midway: the rest ends CANCELLED, nothing is lost.
    const second = await caller.campaigns.create({
      clientId: client.id,
      name: "Cancelled",
      senderId: "TESTCO",
      template: "Never mind",
      recipients: {
        kind: "paste",
        text: numbers
          .slice(0, 60)
          .map((n) => n.replace("+44791113", "+44791114"))
          .join("\n"),
      },
      // 12 s for all of it: the cancel lands while rows are left to publish, however long statuses take.
      rateLimitPerSecond: 5,
    });
    await caller.campaigns.launch({ id: second.id });
    await waitFor(
      () => caller.campaigns.get({ id: second.id }),
      (c) => c.processed >= 10,
      { what: "some progress", timeoutMs: 60_000 },
    );
    await caller.campaigns.pause({ id: second.id });
    await caller.campaigns.cancel({ id: second.id });
    // The launcher publishes at most one more batch before it sees the cancel: once it lets go, the count is final.
    const cancelled = await waitFor(
      () => deps.db.prisma.campaign.findUniqueOrThrow({ where: { id: second.id } }),
      (c) => c.launcherId === null,
      { what: "the launcher to let go of the cancelled campaign" },
    );
    expect(cancelled.status).toBe("CANCELLED");
    await waitForGroupCaughtUp(deps.kafka, `${deps.env.KAFKA_TOPIC_PREFIX}validator`, prefixed(TOPICS.bulk.name));
    const parked = await deps.db.prisma.deferredMessage.count({ where: { campaignId: second.id } });
    expect(parked).toBe(0);
    const final = await waitFor(
      () => caller.campaigns.get({ id: second.id }),
      (c) => c.processed === cancelled.publishedCount,
      { what: "every published message of the cancelled campaign to have a status", timeoutMs: 60_000 },
    );
    expect(final.counts.ACCEPTED ?? 0).toBeGreaterThan(0);
    expect((final.counts.ACCEPTED ?? 0) + (final.counts.CANCELLED ?? 0)).toBe(cancelled.publishedCount);
    expect(cancelled.publishedCount).toBeLessThan(60);
  });

  it("starts a scheduled campaign at its time", async () => {
    const client = await createTestClient(deps.api);
    const caller = await callerAs(deps.api, "OPERATOR");
    const campaign = await caller.campaigns.create({
      clientId: client.id,
      name: "Later",
      senderId: "TESTCO",
      template: "Scheduled hello",
      recipients: { kind: "paste", text: "+447911123901\n+447911123902" },
      scheduledAt: new Date(Date.now() + 2_000),
    });
    expect((await caller.campaigns.launch({ id: campaign.id })).status).toBe("SCHEDULED");
    expect((await caller.campaigns.get({ id: campaign.id })).processed).toBe(0);
    const started = await waitFor(
      () => caller.campaigns.get({ id: campaign.id }),
      (c) => c.counts.ACCEPTED === 2,
      {
        what: "the scheduled campaign to run",
        timeoutMs: 60_000,
      },
    );
    expect(started.status).toBe("RUNNING");
    expect(started.startedAt!.getTime()).toBeGreaterThanOrEqual(started.scheduledAt!.getTime());
  });

  it("holds marketing during quiet hours and releases it when they end", async () => {
    // Quiet hours around "now" (UTC) so the campaign is held.
    const now = new Date();
    const hhmm = (d: Date) =>
      `${String(d.getUTCHours()).padStart(2, "0")}:${String(d.getUTCMinutes()).padStart(2, "0")}`;
    const client = await createTestClient(deps.api, {
      quietHours: { start: hhmm(new Date(now.getTime() - 3_600_000)), end: hhmm(new Date(now.getTime() + 3_600_000)) },
    });
    const caller = await callerAs(deps.api, "OPERATOR");
    const held = await caller.campaigns.create({
      clientId: client.id,
      name: "Held",
      senderId: "TESTCO",
      template: "Evening offer",
      recipients: { kind: "paste", text: "+447911123501\n+447911123502" },
    });
    const refused = await caller.campaigns.create({
      clientId: client.id,
      name: "Refused",
      senderId: "TESTCO",
      template: "Evening offer",
      recipients: { kind: "paste", text: "+447911123503" },
      allowDefer: false,
    });
    await caller.campaigns.launch({ id: held.id });
    await caller.campaigns.launch({ id: refused.id });
    await waitFor(
      () => caller.campaigns.get({ id: held.id }),
      (c) => c.counts.DEFERRED === 2,
      { what: "2 deferred", timeoutMs: 60_000 },
    );
    const waiting = await deps.db.prisma.deferredMessage.findMany({ where: { campaignId: held.id } });
    expect(waiting).toHaveLength(2);
    expect(waiting.every((d) => d.reason === "QUIET_HOURS" && d.releaseAt! > now)).toBe(true);
    const refusedView = await waitFor(
      () => caller.campaigns.get({ id: refused.id }),
      (c) => c.status === "COMPLETED",
      { timeoutMs: 60_000 },
    );
    expect(refusedView.counts).toEqual({ REJECTED: 1 });

    // The window ends (here: the operator clears it and the release time comes).
    await deps.db.prisma.client.update({
      where: { id: client.id },
      data: { quietHoursStart: null, quietHoursEnd: null },
    });
    await deps.redis.del(`client:${client.id}:profile`);
    await deps.db.prisma.deferredMessage.updateMany({
      where: { campaignId: held.id },
      data: { releaseAt: new Date() },
    });
    const released = await waitFor(
      () => caller.campaigns.get({ id: held.id }),
      (c) => c.counts.ACCEPTED === 2,
      {
        what: "the held messages to be released and accepted",
        timeoutMs: 60_000,
      },
    );
    expect(released.counts).toEqual({ ACCEPTED: 2 });
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
    await deps.producer.send(prefixed(TOPICS.bulk.name), [
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
    expect(written).toMatchObject({ status: "ACCEPTED", category: "AUTHENTICATION", body: "after poison" });

    // At least once: a dead-letter produce retried (or a chunk redelivered) lands again, behind the first copy.
    const firstCopies = (records: RawRecord[]) =>
      records.filter(
        (r, i) => r.key === client.id && records.findIndex((o) => o.key === r.key && o.value === r.value) === i,
      );
    const dead = await readTopic(deps.kafka, prefixed(TOPICS.bulk.dlq), (records) => firstCopies(records).length >= 3);
    const mine = firstCopies(dead);
    expect(mine.map((r) => r.value)).toEqual([
      "{not json",
      JSON.stringify({ v: 1, messageId: "x" }),
      JSON.stringify(unknownClient),
    ]);
    expect(mine[0]!.headers[DLQ_HEADERS.error]).toMatch(/^invalid JSON/);
    expect(mine[1]!.headers[DLQ_HEADERS.error]).toMatch(/^schema: /);
    expect(mine[2]!.headers[DLQ_HEADERS.error]).toContain("unknown client");
    expect(mine[0]!.headers[DLQ_HEADERS.topic]).toBe(prefixed(TOPICS.bulk.name));
  });

  it("writes a replayed message once and never moves a status backwards", async () => {
    const client = await createTestClient(deps.api);
    const caller = await callerAs(deps.api, "OPERATOR");
    const campaign = await caller.campaigns.create({
      clientId: client.id,
      name: "Replay",
      senderId: "TESTCO",
      template: "Hi",
      recipients: { kind: "paste", text: "+447911123610\n+447911123611" },
    });
    await caller.campaigns.launch({ id: campaign.id });
    await waitFor(
      () => caller.campaigns.get({ id: campaign.id }),
      (c) => c.counts.ACCEPTED === 2,
      { timeoutMs: 60_000 },
    );

    const id = campaignMessageId(campaign.id, 1);
    const at = new Date().toISOString();
    const status = (s: string, extra = {}) => ({
      key: id,
      value: JSON.stringify({ v: 1, messageId: id, status: s, reason: null, stage: "test", at, ...extra }),
    });
    await deps.producer.send(prefixed(TOPICS.messageStatus.name), [
      status("SUBMITTED", { providerMessageId: "smsc-1" }),
      status("ACCEPTED"), // late: must not move it back
      status("DELIVERED"),
      status("SUBMITTED"), // late again
      status("DELIVERED"), // repeated
    ]);
    const delivered = await waitFor(
      () => deps.db.prisma.message.findUniqueOrThrow({ where: { id } }),
      (m) => m.status === "DELIVERED",
    );
    await waitForGroupCaughtUp(
      deps.kafka,
      `${deps.env.KAFKA_TOPIC_PREFIX}status-writer`,
      prefixed(TOPICS.messageStatus.name),
    );
    const after = await deps.db.prisma.message.findUniqueOrThrow({ where: { id } });
    expect(after).toMatchObject({ status: "DELIVERED", providerMessageId: "smsc-1" });
    expect(after.finalAt).not.toBeNull();
    expect(delivered.submittedAt).not.toBeNull();
    const view = await caller.campaigns.get({ id: campaign.id });
    expect(view.counts).toEqual({ ACCEPTED: 1, DELIVERED: 1 });
    const counters = await deps.db.prisma.campaignCounter.findMany({
      where: { campaignId: campaign.id, count: { not: 0 } },
    });
    expect(Object.fromEntries(counters.map((c) => [c.status, c.count]))).toEqual({ ACCEPTED: 1, DELIVERED: 1 });
  });
});

describe("campaign procedures", () => {
  it("refuses callers without a session and read-only operators", async () => {
    const client = await createTestClient(deps.api);
    const input = {
      clientId: client.id,
      name: "x",
      senderId: "TESTCO",
      template: "x",
      recipients: { kind: "paste" as const, text: "+447911123401" },
    };
    await expect((await callerAs(deps.api, null)).campaigns.create(input)).rejects.toMatchObject({
      code: "UNAUTHORIZED",
    });
    await expect((await callerAs(deps.api, "VIEWER")).campaigns.create(input)).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
  });

  it("rejects bad input field by field, unknown clients by name, and illegal transitions", async () => {
    const caller = await callerAs(deps.api, "OPERATOR");
    await expect(
      caller.campaigns.create({
        clientId: "c",
        name: "",
        senderId: "TOO-LONG-SENDER",
        template: "x",
        recipients: { kind: "paste", text: "1" },
      }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(
      caller.campaigns.create({
        clientId: "no-such-client",
        name: "n",
        senderId: "S",
        template: "x",
        recipients: { kind: "paste", text: "+447911123401" },
      }),
    ).rejects.toMatchObject({ code: "NOT_FOUND", message: "Unknown client no-such-client" });
    const client = await createTestClient(deps.api);
    const draft = await caller.campaigns.create({
      clientId: client.id,
      name: "d",
      senderId: "TESTCO",
      template: "x",
      recipients: { kind: "paste", text: "+447911123401" },
    });
    await expect(caller.campaigns.pause({ id: draft.id })).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(caller.campaigns.resume({ id: draft.id })).rejects.toMatchObject({ code: "CONFLICT" });
  });
});
