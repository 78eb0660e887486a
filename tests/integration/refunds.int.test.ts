import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { availableKey, pendingKey } from "@/server/billing/balance-gate";
import { startDeductionService } from "@/server/billing/deduction-worker";
import {
  statusPacking,
  TOPICS,
  type MessageStatusEvent,
  type MessageStatusValue,
  type RoutedMessage,
} from "@/server/kafka/topics";
import type { StartedWorker } from "@/server/worker/run-worker";
import { createTestClient, createTestDeps, startStages, waitFor, waitForGroupCaughtUp } from "./helpers";

// Refunds against real Kafka, Postgres and Redis: messages charged through the
// prepaid gate and the deduction service, then finally failed (each failure
// event twice, as a redelivery would), are refunded exactly once; clients that
// do not refund, and messages never charged, get nothing.

let deps: Awaited<ReturnType<typeof createTestDeps>>;
let stages: { stop(): Promise<void> };
let manager: StartedWorker | undefined;
const prefixed = (name: string) => deps.env.KAFKA_TOPIC_PREFIX + name;

beforeAll(async () => {
  deps = await createTestDeps();
  // The prepaid-manager runs on its own so that a test can stop and restart it.
  stages = await startStages(deps, ["prepaid-low", "postpaid-low", "postpaid-manager", "refunds", "status-writer"]);
  manager = await startDeductionService(deps);
});

afterAll(async () => {
  await manager?.stop();
  await stages?.stop();
  await deps?.close();
});

type TestAccount = { clientId: string; accountId: string; opening: bigint };

async function account(balance: bigint, refundOnFailure = true, creditLimit?: bigint): Promise<TestAccount> {
  const client = await createTestClient(deps.api, { balance, billingType: creditLimit ? "POSTPAID" : "PREPAID" });
  if (!refundOnFailure || creditLimit)
    await deps.db.prisma.client.update({ where: { id: client.id }, data: { refundOnFailure, creditLimit } });
  const a = await deps.db.prisma.account.findFirstOrThrow({ where: { clientId: client.id } });
  return { clientId: client.id, accountId: a.id, opening: a.balance };
}

/** Routed as the validator would: the ACCEPTED status (with content) first, then the billing lane. */
async function send(
  a: TestAccount,
  count: number,
  segments: (i: number) => number,
  billingType: RoutedMessage["billingType"] = "PREPAID",
): Promise<RoutedMessage[]> {
  const now = new Date().toISOString();
  const messages: RoutedMessage[] = Array.from({ length: count }, (_, i) => ({
    v: 1,
    messageId: `rf-${a.accountId}-${i}`,
    clientId: a.clientId,
    accountId: a.accountId,
    campaignId: null,
    billingType,
    category: "MARKETING",
    recipient: `+447911123${String(100 + i).padStart(3, "0")}`,
    sender: "TESTCO",
    body: "Spring sale",
    encoding: "GSM7",
    segments: segments(i),
    createdAt: now,
  }));
  const accepted: MessageStatusEvent[] = messages.map((m) => ({
    v: 1,
    messageId: m.messageId,
    status: "ACCEPTED",
    reason: null,
    stage: "validator",
    at: now,
    content: {
      clientId: m.clientId,
      campaignId: null,
      recipient: m.recipient,
      sender: m.sender,
      body: m.body,
      category: m.category,
      encoding: m.encoding,
      segments: m.segments,
    },
  }));
  await deps.producer.send(
    prefixed(TOPICS.messageStatus.name),
    accepted.map((s) => ({ key: s.messageId, value: JSON.stringify(s) })),
  );
  await deps.producer.send(
    prefixed(billingType === "PREPAID" ? TOPICS.prepaidLowBulk.name : TOPICS.postpaid.name),
    messages.map((m) => ({ key: m.accountId, value: JSON.stringify(m) })),
  );
  return messages;
}

/** Final statuses as bulk-proc reports them (no content), each produced twice. */
async function report(outcomes: [messageId: string, status: MessageStatusValue, reason: string | null][]) {
  const events: MessageStatusEvent[] = outcomes.map(([messageId, status, reason]) => ({
    v: 1,
    messageId,
    status,
    reason,
    stage: "bulk-proc",
    at: new Date().toISOString(),
  }));
  // As bulk-proc sends them: packed, with a header naming the statuses inside, after a record of the same messages'
  // SUBMITTED events (which refunds passes by unread); the finals twice (a replay).
  await deps.producer.sendPacked(
    prefixed(TOPICS.messageStatus.name),
    statusPacking,
    events.map((e) => ({ ...e, status: "SUBMITTED" as const, reason: null })),
  );
  for (let copy = 0; copy < 2; copy++) {
    await deps.producer.sendPacked(prefixed(TOPICS.messageStatus.name), statusPacking, events);
  }
}

async function ledger(accountId: string) {
  const { rows } = await deps.db.pool.query<{ type: string; n: number; refs: number; total: string }>(
    `SELECT type, count(*)::int AS n, count(DISTINCT reference)::int AS refs, sum(amount)::text AS total
     FROM ledger_entries WHERE account_id = $1 GROUP BY type`,
    [accountId],
  );
  const by = new Map(rows.map((r) => [r.type, { n: r.n, refs: r.refs, total: BigInt(r.total) }]));
  const of = (type: string) => by.get(type) ?? { n: 0, refs: 0, total: 0n };
  return { charges: of("CHARGE"), refunds: of("REFUND"), sum: rows.reduce((s, r) => s + BigInt(r.total), 0n) };
}

const countOf = (accountId: string, type: "CHARGE" | "REFUND") =>
  deps.db.prisma.ledgerEntry.count({ where: { accountId, type } });

/** Nothing pending, and the gate's available balance is exactly the settled one. */
async function expectRedisAgrees(a: TestAccount) {
  await waitFor(
    () => deps.redis.hlen(pendingKey(a.accountId)),
    (n) => n === 0,
    { what: `no reservation pending on ${a.accountId}`, timeoutMs: 60_000 },
  );
  const settled = await deps.db.prisma.account.findUniqueOrThrow({ where: { id: a.accountId } });
  expect(await deps.redis.get(availableKey(a.accountId))).toBe(settled.balance.toString());
}

describe("refunds on final failure", () => {
  it("refunds each charged message that finally fails exactly once, per the client's policy", async () => {
    const refunding = await account(10_000n);
    const keeping = await account(10_000n, false);
    // Covers two one-segment messages at 2 per segment; the other two are refused.
    const short = await account(4n);

    // 1–3 segments at 2 per segment.
    const mine = await send(refunding, 10, (i) => 1 + (i % 3));
    const theirs = await send(keeping, 3, () => 2);
    const few = await send(short, 4, () => 1);
    const priceOf = (m: RoutedMessage) => 2n * BigInt(m.segments);

    await waitFor(
      async () => [await countOf(refunding.accountId, "CHARGE"), await countOf(keeping.accountId, "CHARGE")],
      ([a, b]) => a === 10 && b === 3,
      { what: "the charges to be applied", timeoutMs: 90_000 },
    );
    const refused = await waitFor(
      () =>
        deps.db.prisma.message.findMany({ where: { clientId: short.clientId, statusReason: "INSUFFICIENT_BALANCE" } }),
      (rows) => rows.length === 2,
      { what: "the uncovered messages to be refused", timeoutMs: 90_000 },
    );
    await waitFor(
      () => countOf(short.accountId, "CHARGE"),
      (n) => n === 2,
      { what: "the covered messages to be charged" },
    );
    const shortCharged = few.filter((m) => !refused.some((r) => r.id === m.messageId));
    expect(shortCharged).toHaveLength(2);

    // Six of ten fail in every final-failure way; four are delivered.
    const failures: MessageStatusValue[] = ["UNDELIVERABLE", "EXPIRED", "FAILED", "REJECTED", "FAILED", "EXPIRED"];
    const failed = mine.slice(0, 6);
    await report([
      ...failed.map((m, i) => [m.messageId, failures[i]!, i === 3 ? "PROVIDER_REJECTED" : null] as const),
      ...mine.slice(6).map((m) => [m.messageId, "DELIVERED", null] as const),
      ...theirs.map((m) => [m.messageId, "FAILED", null] as const),
      [shortCharged[0]!.messageId, "UNDELIVERABLE", null],
      // A refused message reported again as rejected: it was never charged.
      [refused[0]!.id, "REJECTED", "INSUFFICIENT_BALANCE"],
    ] as [string, MessageStatusValue, string | null][]);

    const refundedAmount = failed.reduce((s, m) => s + priceOf(m), 0n);
    await waitFor(
      async () => [await countOf(refunding.accountId, "REFUND"), await countOf(short.accountId, "REFUND")],
      ([a, b]) => a === 6 && b === 1,
      { what: "the refunds", timeoutMs: 90_000 },
    );
    // Every copy of every event has been handled before the counts are final.
    await waitForGroupCaughtUp(
      deps.kafka,
      `${deps.env.KAFKA_TOPIC_PREFIX}refunds`,
      prefixed(TOPICS.messageStatus.name),
      90_000,
    );

    const charged = mine.reduce((s, m) => s + priceOf(m), 0n);
    const l = await ledger(refunding.accountId);
    expect(l.charges).toEqual({ n: 10, refs: 10, total: -charged });
    expect(l.refunds).toEqual({ n: 6, refs: 6, total: refundedAmount });
    const after = await deps.db.prisma.account.findUniqueOrThrow({ where: { id: refunding.accountId } });
    expect(after.balance).toBe(refunding.opening - charged + refundedAmount);
    expect(l.sum).toBe(after.balance - refunding.opening);
    const refunds = await deps.db.prisma.ledgerEntry.findMany({
      where: { accountId: refunding.accountId, type: "REFUND" },
      orderBy: { messageId: "asc" },
    });
    expect(refunds.map((r) => [r.reference, r.messageId, r.amount])).toEqual(
      [...failed]
        .sort((a, b) => (a.messageId < b.messageId ? -1 : 1))
        .map((m) => [`refund:${m.messageId}`, m.messageId, priceOf(m)]),
    );
    expect(refunds.find((r) => r.messageId === failed[3]!.messageId)?.reason).toBe("REJECTED PROVIDER_REJECTED");

    // refund_on_failure = false: charged, failed, not refunded.
    const k = await ledger(keeping.accountId);
    expect(k.charges.n).toBe(3);
    expect(k.refunds.n).toBe(0);
    const kept = await deps.db.prisma.account.findUniqueOrThrow({ where: { id: keeping.accountId } });
    expect(kept.balance).toBe(keeping.opening - 12n);

    // The charged failure is refunded; the refused message, never charged, is not.
    const s = await ledger(short.accountId);
    expect(s.charges).toEqual({ n: 2, refs: 2, total: -4n });
    expect(s.refunds).toEqual({ n: 1, refs: 1, total: 2n });
    expect(await deps.db.prisma.ledgerEntry.count({ where: { messageId: { in: refused.map((r) => r.id) } } })).toBe(0);
    const shortAfter = await deps.db.prisma.account.findUniqueOrThrow({ where: { id: short.accountId } });
    expect(shortAfter.balance).toBe(2n);

    for (const a of [refunding, keeping, short]) await expectRedisAgrees(a);
  });

  it("refunds a failure that arrives before its charge is applied, once the charge is", async () => {
    const a = await account(1_000n);
    await manager!.stop();
    manager = undefined;
    const messages = await send(a, 5, () => 1);
    // Reserved by the gate, not yet in the ledger: the charges are in flight.
    await waitFor(
      () => deps.redis.hlen(pendingKey(a.accountId)),
      (n) => n === 5,
      { what: "the reservations", timeoutMs: 60_000 },
    );
    await report(messages.slice(0, 3).map((m) => [m.messageId, "UNDELIVERABLE", null]));
    // The status writer saw the failures; the refunds worker waits for the charges.
    await waitFor(
      () => deps.db.prisma.message.count({ where: { clientId: a.clientId, status: "UNDELIVERABLE" } }),
      (n) => n === 3,
      { what: "the failures to be recorded", timeoutMs: 60_000 },
    );
    expect(await countOf(a.accountId, "CHARGE")).toBe(0);
    expect(await countOf(a.accountId, "REFUND")).toBe(0);

    manager = await startDeductionService(deps);
    await waitFor(
      () => countOf(a.accountId, "REFUND"),
      (n) => n === 3,
      { what: "the refunds after the charges", timeoutMs: 180_000, intervalMs: 500 },
    );
    await waitForGroupCaughtUp(
      deps.kafka,
      `${deps.env.KAFKA_TOPIC_PREFIX}refunds`,
      prefixed(TOPICS.messageStatus.name),
      180_000,
    );
    const l = await ledger(a.accountId);
    expect(l.charges).toEqual({ n: 5, refs: 5, total: -10n });
    expect(l.refunds).toEqual({ n: 3, refs: 3, total: 6n });
    const after = await deps.db.prisma.account.findUniqueOrThrow({ where: { id: a.accountId } });
    expect(after.balance).toBe(a.opening - 10n + 6n);
    expect(l.sum).toBe(after.balance - a.opening);
    await expectRedisAgrees(a);
  }, 300_000);

  it("refunds postpaid usage by a negative usage row, unbilled even when the original is invoiced", async () => {
    const a = await account(0n, true, 1_000n);
    const messages = await send(a, 4, () => 2, "POSTPAID");
    const usage = () =>
      deps.db.prisma.usageRecord.findMany({ where: { accountId: a.accountId }, orderBy: { id: "asc" } });
    await waitFor(usage, (rows) => rows.length === 4, { what: "the usage to be rated", timeoutMs: 90_000 });
    const before = await deps.db.prisma.account.findUniqueOrThrow({ where: { id: a.accountId } });
    expect(before.unbilledUsage).toBe(16n);
    // The first message's usage is already on an invoice.
    const invoice = await deps.db.prisma.invoice.create({
      data: {
        clientId: a.clientId,
        accountId: a.accountId,
        periodStart: new Date(Date.now() - 86_400_000),
        periodEnd: new Date(),
        currency: "USD",
        total: 4n,
        messageCount: 1,
        segmentCount: 2,
      },
    });
    await deps.db.prisma.usageRecord.update({
      where: { reference: `cdr:${messages[0]!.messageId}` },
      data: { invoiceId: invoice.id },
    });

    await report(messages.slice(0, 2).map((m) => [m.messageId, "EXPIRED", null]));
    await waitFor(
      async () => (await usage()).length,
      (n) => n === 6,
      { what: "the postpaid refunds", timeoutMs: 90_000 },
    );
    await waitForGroupCaughtUp(
      deps.kafka,
      `${deps.env.KAFKA_TOPIC_PREFIX}refunds`,
      prefixed(TOPICS.messageStatus.name),
      90_000,
    );
    const rows = await usage();
    expect(rows).toHaveLength(6);
    const refunds = rows.filter((r) => r.reference.startsWith("refund:"));
    expect(refunds.map((r) => [r.reference, r.messageId, r.amount, r.segments, r.invoiceId]).sort()).toEqual(
      messages
        .slice(0, 2)
        .map((m) => [`refund:${m.messageId}`, m.messageId, -4n, 0, null])
        .sort(),
    );
    const after = await deps.db.prisma.account.findUniqueOrThrow({ where: { id: a.accountId } });
    expect(after.unbilledUsage).toBe(8n);
    expect(rows.reduce((s, r) => s + r.amount, 0n)).toBe(after.unbilledUsage);
    expect(after.balance).toBe(0n);
    expect(await deps.db.prisma.ledgerEntry.count({ where: { accountId: a.accountId } })).toBe(0);
    // The gate's credit headroom moved back with it.
    await waitFor(
      () => deps.redis.hlen(pendingKey(a.accountId)),
      (n) => n === 0,
      { what: "no reservation pending" },
    );
    expect(await deps.redis.get(availableKey(a.accountId))).toBe((1_000n - after.unbilledUsage).toString());
  }, 300_000);
});
