import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDeadLetterRecorder } from "@/server/dead-letters/recorder";
import { REPLAY_HEADER, TOPICS, type BulkMessage } from "@/server/kafka/topics";
import { startValidator } from "@/server/validation/validator";
import type { StartedWorker } from "@/server/worker/run-worker";
import { callerAs, createTestDeps, statusEventsOnTopic, waitFor, waitForGroupCaughtUp } from "./helpers";

// Dead letters end to end: the validator dead-letters what it cannot process,
// the recorder copies it into dead_letters, operators list and replay it
// through tRPC, and a replayed record goes through the validator again.

let deps: Awaited<ReturnType<typeof createTestDeps>>;
let validator: StartedWorker;
let recorder: StartedWorker;
const prefix = () => deps.env.KAFKA_TOPIC_PREFIX;
const bulkTopic = () => prefix() + TOPICS.bulk.name;
const bulkDlq = () => prefix() + TOPICS.bulk.dlq;

beforeAll(async () => {
  deps = await createTestDeps();
  validator = await startValidator(deps);
  recorder = await startDeadLetterRecorder(deps);
});

afterAll(async () => {
  await recorder?.stop();
  await validator?.stop();
  await deps?.close();
});

type StoredRow = {
  id: string;
  value: string;
  error: string;
  headers: Record<string, string>;
  replayed_at: Date | null;
  replay_count: number;
};

/** This run's dead letters of bulk-topic with that key, oldest first. */
async function storedRows(key: string): Promise<StoredRow[]> {
  const { rows } = await deps.db.pool.query<StoredRow>(
    `SELECT id::text, convert_from(value, 'UTF8') AS value, error, headers, replayed_at, replay_count
     FROM dead_letters WHERE dlq_topic = $1 AND key = $2 ORDER BY dead_letters.id`,
    [bulkDlq(), Buffer.from(key)],
  );
  return rows;
}

/** Both stages have handled everything produced so far. */
async function settle(): Promise<void> {
  await waitForGroupCaughtUp(deps.kafka, `${prefix()}validator`, bulkTopic());
  await waitForGroupCaughtUp(deps.kafka, `${prefix()}dead-letter-recorder`, bulkDlq());
}

async function pendingOfBulkStage(caller: Awaited<ReturnType<typeof callerAs>>): Promise<number> {
  const stats = await caller.deadLetters.stats();
  return stats.stages.find((s) => s.sourceTopic === bulkTopic())?.pending ?? 0;
}

/** Collects message-status events from now on (a validator that emits instead of writing rows). */
async function collectStatusEvents() {
  const events: { messageId?: string; status?: string; content?: { body?: string; clientId?: string } }[] = [];
  const consumer = deps.kafka.consumer({ groupId: `reader-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic: prefix() + TOPICS.messageStatus.name, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      // Packed or not; what does not decode is not ours to judge here.
      events.push(...statusEventsOnTopic([{ value: message.value?.toString() ?? "" }]));
    },
  });
  return { events, stop: () => consumer.disconnect() };
}

describe("dead letters", () => {
  it("records dead letters, replays one after the fix and the rest of the stage", async () => {
    const operator = await callerAs(deps.api, "OPERATOR");
    const clientId = `dl-client-${randomUUID()}`;
    const message: BulkMessage = {
      v: 1,
      messageId: `api-${clientId}`,
      clientId,
      campaignId: null,
      row: null,
      recipient: "+447911123456",
      sender: "TESTCO",
      template: "Replayed hello",
      variables: {},
      category: "AUTHENTICATION",
      createdAt: new Date().toISOString(),
    };
    const valid = JSON.stringify(message);
    const broken = `{"v":1,"messageId":"${clientId}-broken"`;
    // One key: both land on one partition, the valid one right behind.
    await deps.producer.send(bulkTopic(), [
      { key: clientId, value: broken },
      { key: clientId, value: valid },
    ]);

    await waitFor(
      () => storedRows(clientId),
      (rows) => rows.length === 2,
      { what: "both records in dead_letters" },
    );
    await settle();

    // Listed through tRPC, newest first, with where each one failed.
    const listed = (await operator.deadLetters.list({ sourceTopic: bulkTopic(), status: "pending", limit: 200 })).items;
    const mine = listed.filter((d) => d.key === clientId);
    expect(mine).toHaveLength(2);
    expect(Number(mine[0]!.id)).toBeGreaterThan(Number(mine[1]!.id));
    const badDl = mine.find((d) => d.valuePreview === broken)!;
    const validDl = mine.find((d) => d.id !== badDl?.id)!;
    expect(badDl).toMatchObject({
      sourceTopic: bulkTopic(),
      stage: "bulk-topic",
      dlqTopic: bulkDlq(),
      consumerGroup: `${prefix()}validator`,
      replayedAt: null,
      replayCount: 0,
      isTruncated: false,
    });
    expect(badDl.error).toMatch(/^invalid JSON/);
    expect(validDl).toMatchObject({
      sourceTopic: bulkTopic(),
      error: `unknown client ${clientId}`,
      valueBytes: Buffer.byteLength(valid),
      replayCount: 0,
    });
    expect(validDl.valuePreview).toBe(valid.slice(0, validDl.valuePreview.length));
    expect(badDl.sourcePartition).toBeGreaterThanOrEqual(0);
    expect(badDl.sourcePartition).toBeLessThan(deps.env.KAFKA_DEFAULT_PARTITIONS);
    expect(validDl.sourcePartition).toBe(badDl.sourcePartition);
    expect(BigInt(validDl.sourceOffset!)).toBe(BigInt(badDl.sourceOffset!) + 1n);
    expect(Date.now() - validDl.failedAt.getTime()).toBeLessThan(60_000);
    expect((await operator.deadLetters.get({ id: validDl.id })).value).toBe(valid);

    // Paged by id: the second page starts below the first one's last id.
    const first = await operator.deadLetters.list({ sourceTopic: bulkTopic(), status: "all", limit: 1 });
    expect(first.items).toHaveLength(1);
    expect(first.nextCursor).toBe(first.items[0]!.id);
    const second = await operator.deadLetters.list({
      sourceTopic: bulkTopic(),
      status: "all",
      limit: 1,
      cursor: first.nextCursor,
    });
    expect(Number(second.items[0]!.id)).toBeLessThan(Number(first.items[0]!.id));

    const pendingBefore = await pendingOfBulkStage(operator);
    expect(pendingBefore).toBeGreaterThanOrEqual(2);

    // Fix the cause (the client exists now, under that id), then replay.
    const plan = await deps.db.prisma.ratePlan.create({
      data: { name: `plan-${clientId}`, defaultPricePerSegment: 2n },
    });
    await deps.db.prisma.client.create({
      data: {
        id: clientId,
        name: `client-${clientId}`,
        billingType: "PREPAID",
        defaultCountry: "GB",
        ratePlanId: plan.id,
        accounts: { create: [{ balance: 100_000n }] },
        senderIds: { create: [{ value: "TESTCO" }] },
      },
    });
    const statusEvents = await collectStatusEvents();
    try {
      const replayed = await operator.deadLetters.replay({ id: validDl.id });
      expect(replayed.replayCount).toBe(1);
      expect(replayed.replayedAt).toBeInstanceOf(Date);

      const outcome = await waitFor(
        async () => ({
          row: await deps.db.prisma.message.findUnique({ where: { id: message.messageId } }),
          event: statusEvents.events.find((e) => e.messageId === message.messageId),
        }),
        (o) => o.row !== null || o.event !== undefined,
        { what: "the replayed message to be validated" },
      );
      if (outcome.row) {
        expect(outcome.row).toMatchObject({ status: "ACCEPTED", body: "Replayed hello", clientId });
      } else {
        expect(outcome.event).toMatchObject({ status: "ACCEPTED", content: { body: "Replayed hello", clientId } });
      }
    } finally {
      await statusEvents.stop();
    }
    await settle();
    // Not dead-lettered again.
    expect((await storedRows(clientId)).filter((r) => r.value === valid)).toHaveLength(1);
    expect(await operator.deadLetters.get({ id: validDl.id })).toMatchObject({ replayCount: 1 });
    expect((await operator.deadLetters.get({ id: validDl.id })).replayedAt).toBeInstanceOf(Date);
    expect(await pendingOfBulkStage(operator)).toBe(pendingBefore - 1);
    const audit = await deps.db.prisma.auditEntry.findFirst({
      where: { action: "dead-letter.replay", target: `dead-letter:${validDl.id}` },
    });
    expect(audit?.details).toEqual({ sourceTopic: bulkTopic() });
    expect(audit?.operatorId).toBeTruthy();

    // Replay the rest of the stage: the broken record fails again, as a new row.
    const stillPending = await pendingOfBulkStage(operator);
    const { replayed } = await operator.deadLetters.replayAll({ sourceTopic: bulkTopic() });
    expect(replayed).toBe(stillPending);
    const brokenRows = await waitFor(
      async () => (await storedRows(clientId)).filter((r) => r.value === broken),
      (rows) => rows.length === 2,
      { what: "the broken record to be dead-lettered again" },
    );
    expect(brokenRows[0]).toMatchObject({ id: badDl.id, replay_count: 1 });
    expect(brokenRows[0]!.replayed_at).toBeInstanceOf(Date);
    expect(brokenRows[1]).toMatchObject({ replay_count: 0, replayed_at: null });
    expect(brokenRows[1]!.error).toMatch(/^invalid JSON/);
    expect(brokenRows[1]!.headers[REPLAY_HEADER]).toBe(badDl.id);
    await settle();
    const all = await storedRows(clientId);
    expect(all).toHaveLength(3);
    // Already replayed, so replayAll left it alone.
    expect(all.find((r) => r.id === validDl.id)).toMatchObject({ replay_count: 1 });
    const auditAll = await deps.db.prisma.auditEntry.findFirst({
      where: { action: "dead-letter.replay-all", target: bulkTopic() },
      orderBy: { id: "desc" },
    });
    expect(auditAll?.details).toEqual({ replayed });

    // Never into a dead-letter topic, whatever a header said.
    await expect(operator.deadLetters.replayAll({ sourceTopic: bulkDlq() })).rejects.toMatchObject({
      code: "CONFLICT",
    });
  });

  it("lets viewers read but not replay", async () => {
    const key = `dl-viewer-${randomUUID()}`;
    await deps.producer.send(bulkTopic(), [{ key, value: "not json at all" }]);
    const [row] = await waitFor(
      () => storedRows(key),
      (rows) => rows.length === 1,
      { what: "the record in dead_letters" },
    );
    const viewer = await callerAs(deps.api, "VIEWER");
    expect((await viewer.deadLetters.get({ id: row!.id })).key).toBe(key);
    await expect(viewer.deadLetters.replay({ id: row!.id })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(viewer.deadLetters.replayAll({ sourceTopic: bulkTopic() })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect((await callerAs(deps.api, null)).deadLetters.stats()).rejects.toMatchObject({
      code: "UNAUTHORIZED",
    });
    expect(await storedRows(key)).toMatchObject([{ id: row!.id, replay_count: 0, replayed_at: null }]);
  });

  it("records a failed record once however often it reached the dead-letter topic", async () => {
    const key = `dl-twice-${randomUUID()}`;
    const failed = (offset: string) => ({
      key,
      value: "not json at all",
      headers: {
        "volley-dlq-error": "invalid JSON",
        "volley-dlq-topic": bulkTopic(),
        "volley-dlq-partition": "0",
        "volley-dlq-offset": offset,
        "volley-dlq-group": `${prefix()}validator`,
        "volley-dlq-at": new Date().toISOString(),
      },
    });
    // The same failure three times (in one produce and in a later one: a retried produce, a stage that failed it
    // again after a crash), and another record of the same partition once.
    await deps.producer.send(bulkDlq(), [failed("900001"), failed("900001")]);
    await deps.producer.send(bulkDlq(), [failed("900001"), failed("900002")]);
    // Copies without a source position cannot be told apart from distinct failures: each is kept.
    await deps.producer.send(bulkDlq(), [
      { key, value: "no headers" },
      { key, value: "no headers" },
    ]);
    await settle();
    const rows = await storedRows(key);
    expect(rows.map((r) => r.value).sort()).toEqual(["no headers", "no headers", "not json at all", "not json at all"]);
    const { rows: positions } = await deps.db.pool.query<{ source_offset: string }>(
      "SELECT source_offset::text FROM dead_letters WHERE dlq_topic = $1 AND key = $2 ORDER BY source_offset",
      [bulkDlq(), Buffer.from(key)],
    );
    expect(positions.map((p) => p.source_offset)).toEqual(["-1", "-1", "900001", "900002"]);
  });
});
