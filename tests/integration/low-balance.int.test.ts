import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { billingEventV1, TOPICS, type RoutedMessage } from "@/server/kafka/topics";
import { callerAs, createTestClient, createTestDeps, startStages, waitFor, type RawRecord } from "./helpers";

// Low-balance alerts against real Kafka, Postgres and Redis: charges through
// the prepaid gate and the deduction service cross the threshold → exactly one
// LOW_BALANCE event per crossing, in the outbox and on the billing-events topic.

let deps: Awaited<ReturnType<typeof createTestDeps>>;
let stages: { stop(): Promise<void> };
const prefixed = (name: string) => deps.env.KAFKA_TOPIC_PREFIX + name;

beforeAll(async () => {
  deps = await createTestDeps();
  stages = await startStages(deps, ["prepaid-low", "prepaid-manager"]);
});

afterAll(async () => {
  await stages?.stop();
  await deps?.close();
});

let sent = 0;
/** `count` one-segment marketing messages (2 each on the test plan) onto the prepaid low lane. */
async function charge(client: { id: string }, accountId: string, count: number) {
  const now = new Date().toISOString();
  const messages: RoutedMessage[] = Array.from({ length: count }, () => {
    const n = sent++;
    return {
      v: 1,
      messageId: `lb-${accountId}-${n}`,
      clientId: client.id,
      accountId,
      campaignId: null,
      billingType: "PREPAID",
      category: "MARKETING",
      recipient: `+4479112${String(10_000 + n).padStart(5, "0")}`,
      sender: "TESTCO",
      body: "Spring sale",
      encoding: "GSM7",
      segments: 1,
      createdAt: now,
    };
  });
  await deps.producer.send(
    prefixed(TOPICS.prepaidLowBulk.name),
    messages.map((m) => ({ key: m.accountId, value: JSON.stringify(m) })),
  );
}

const settledBalance = (accountId: string, balance: bigint) =>
  waitFor(
    () => deps.db.prisma.account.findUniqueOrThrow({ where: { id: accountId } }),
    (a) => a.balance === balance,
    { what: `balance ${balance} settled`, timeoutMs: 90_000 },
  );

const outbox = (accountId: string) =>
  deps.db.prisma.billingEvent.findMany({ where: { accountId }, orderBy: { id: "asc" } });

/**
 * The account's events on the billing-events topic, one per eventId, in id
 * order. The test database is shared with concurrent test runs, each with its
 * own topic prefix, and any run's prepaid-manager may be the one that
 * publishes an outbox row: read every run's billing-events topic (no order
 * across topics). Publishing is at least once (a send retried after a lost
 * ack, or sent again when marking the row failed): consumers dedupe on
 * `eventId`, and so does this.
 */
async function publishedEvents(accountId: string, count: number): Promise<RawRecord[]> {
  const admin = deps.kafka.admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((t) => t.endsWith(TOPICS.billingEvents.name));
  await admin.disconnect();
  expect(topics).toContain(prefixed(TOPICS.billingEvents.name));
  const consumer = deps.kafka.consumer({ groupId: `reader-${Date.now()}-${Math.random()}` });
  const records: RawRecord[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      if (message.key?.toString() !== accountId) return;
      records.push({ partition, key: accountId, value: message.value?.toString() ?? "", headers: {} });
    },
  });
  const distinct = () =>
    [...new Map(records.map((r) => [BigInt(JSON.parse(r.value).eventId as string), r])).entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([, r]) => r);
  try {
    // A moment past the count, so that an event too many would be seen too.
    await waitFor(
      async () => distinct(),
      (r) => r.length >= count,
      { what: "billing events", timeoutMs: 60_000 },
    );
    await new Promise((r) => setTimeout(r, 1_000));
    return distinct();
  } finally {
    await consumer.disconnect();
  }
}

describe("low-balance alerts", () => {
  it("alerts once per crossing of the threshold, by outbox and topic", async () => {
    const client = await createTestClient(deps.api, { balance: 100n });
    const account = await deps.db.prisma.account.findFirstOrThrow({ where: { clientId: client.id } });
    const operator = await callerAs(deps.api, "OPERATOR");

    const set = await operator.billing.setLowBalanceThreshold({ accountId: account.id, threshold: "60" });
    expect(set).toMatchObject({ lowBalanceThreshold: 60n, lowBalanceAlertedAt: null });
    expect(await outbox(account.id)).toHaveLength(0);

    // 100 → 60: at the threshold, whichever batches the charges came in.
    await charge(client, account.id, 20);
    const crossed = await settledBalance(account.id, 60n);
    expect(crossed.lowBalanceAlertedAt).not.toBeNull();
    const [first, ...none] = await outbox(account.id);
    expect(none).toHaveLength(0);
    expect(first!.type).toBe("LOW_BALANCE");
    expect(first!.payload).toEqual({
      v: 1,
      type: "LOW_BALANCE",
      eventId: first!.id.toString(),
      accountId: account.id,
      clientId: client.id,
      currency: "USD",
      balance: "60",
      threshold: "60",
      at: crossed.lowBalanceAlertedAt!.toISOString(),
    });
    expect(billingEventV1.parse(first!.payload)).toMatchObject({ balance: 60n, threshold: 60n });

    // Further below: no second event.
    await charge(client, account.id, 5);
    await settledBalance(account.id, 50n);
    expect(await outbox(account.id)).toHaveLength(1);
    const published = await publishedEvents(account.id, 1);
    expect(published.map((r) => JSON.parse(r.value))).toEqual([first!.payload]);
    await waitFor(
      () => deps.db.prisma.billingEvent.findUniqueOrThrow({ where: { id: first!.id } }),
      (e) => e.publishedAt !== null,
      { what: "the outbox row marked published" },
    );

    // A top-up lifts it over the threshold; falling to it again alerts again.
    const topped = await operator.billing.adjust({
      accountId: account.id,
      type: "TOPUP",
      amount: "100",
      reason: "Wire 2026-11-24",
    });
    expect(topped).toMatchObject({ balance: 150n, lowBalanceAlertedAt: null });
    expect(await outbox(account.id)).toHaveLength(1);
    await charge(client, account.id, 45);
    const again = await settledBalance(account.id, 60n);
    const events = await outbox(account.id);
    expect(events).toHaveLength(2);
    expect(events[1]!.payload).toMatchObject({
      eventId: events[1]!.id.toString(),
      balance: "60",
      threshold: "60",
      at: again.lowBalanceAlertedAt!.toISOString(),
    });

    // Threshold lowered under the balance: cleared, no event; raised over it: alerts at once.
    expect(await operator.billing.setLowBalanceThreshold({ accountId: account.id, threshold: "40" })).toMatchObject({
      lowBalanceAlertedAt: null,
    });
    expect(await outbox(account.id)).toHaveLength(2);
    await operator.billing.setLowBalanceThreshold({ accountId: account.id, threshold: "70" });
    const third = (await outbox(account.id))[2];
    expect(third?.payload).toMatchObject({ balance: "60", threshold: "70" });
    expect(await outbox(account.id)).toHaveLength(3);

    const all = await publishedEvents(account.id, 3);
    expect(all.map((r) => JSON.parse(r.value).eventId)).toEqual(
      events.map((e) => e.id.toString()).concat(third!.id.toString()),
    );

    // The console's list: newest first, paginated.
    const page1 = await operator.billing.events({ accountId: account.id, limit: 2 });
    expect(page1.items.map((e) => [e.type, e.balance, e.threshold])).toEqual([
      ["LOW_BALANCE", 60n, 70n],
      ["LOW_BALANCE", 60n, 60n],
    ]);
    const page2 = await operator.billing.events({ accountId: account.id, limit: 2, cursor: page1.nextCursor });
    expect(page2.items.map((e) => e.id)).toEqual([first!.id.toString()]);
    expect(page2.nextCursor).toBeNull();

    const audit = await deps.db.prisma.auditEntry.findMany({
      where: { target: account.id, action: "balance.low_threshold" },
      orderBy: { id: "asc" },
    });
    expect(audit.map((a) => a.details)).toEqual([
      { from: "0", to: "60" },
      { from: "60", to: "40" },
      { from: "40", to: "70" },
    ]);
  });

  it("refuses negative thresholds and read-only operators", async () => {
    const client = await createTestClient(deps.api);
    const account = await deps.db.prisma.account.findFirstOrThrow({ where: { clientId: client.id } });
    const operator = await callerAs(deps.api, "OPERATOR");
    await expect(
      operator.billing.setLowBalanceThreshold({ accountId: account.id, threshold: "-5" }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(operator.billing.setLowBalanceThreshold({ accountId: "nope", threshold: "5" })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(
      (await callerAs(deps.api, "VIEWER")).billing.setLowBalanceThreshold({ accountId: account.id, threshold: "5" }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});
