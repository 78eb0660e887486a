import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPostpaidLane } from "@/server/billing/lanes";
import { monthOf, monthPeriod } from "@/server/invoices/period";
import { invoiceAccount } from "@/server/invoices/service";
import { TOPICS, type BulkMessage, type RoutedMessage, type UsageCdrWire } from "@/server/kafka/topics";
import type { StartedWorker } from "@/server/worker/run-worker";
import {
  callerAs,
  cdrsOnTopic,
  createTestClient,
  createTestDeps,
  readTopic,
  routedOnTopic,
  startStages,
  waitFor,
  waitForGroupCaughtUp,
} from "./helpers";

// The postpaid lane against real Kafka, Redis and Postgres: racing senders
// on both priorities can never take unbilled usage past the credit limit,
// replayed messages and CDRs are rated once, and a raised credit limit lets
// further messages through at once.

let deps: Awaited<ReturnType<typeof createTestDeps>>;
let stages: { stop(): Promise<void> };
let extraLane: StartedWorker;
const prefixed = (name: string) => deps.env.KAFKA_TOPIC_PREFIX + name;

beforeAll(async () => {
  deps = await createTestDeps();
  stages = await startStages(deps, ["validator", "status-writer", "postpaid-high", "postpaid-low", "postpaid-manager"]);
  // A second instance of the bulk lane, so reservations race across consumers too.
  extraLane = await startPostpaidLane("low")(deps);
});

afterAll(async () => {
  await extraLane?.stop();
  await stages?.stop();
  await deps?.close();
});

const PRICE = 2n; // the test plan's default price per segment; one-segment messages

async function postpaidClient(creditLimit: bigint) {
  const client = await createTestClient(deps.api, { billingType: "POSTPAID" });
  await deps.db.prisma.client.update({ where: { id: client.id }, data: { creditLimit } });
  const account = await deps.db.prisma.account.findFirstOrThrow({ where: { clientId: client.id } });
  return { client, account };
}

function message(clientId: string, tag: string, n: number, category: BulkMessage["category"]): BulkMessage {
  return {
    v: 1,
    messageId: `pp-${clientId}-${tag}-${n}`,
    clientId,
    campaignId: null,
    row: null,
    recipient: `+4474008${String(n).padStart(5, "0")}`,
    sender: "TESTCO",
    template: "Your code is 1234",
    variables: {},
    category,
    createdAt: new Date().toISOString(),
  };
}

/** `count` messages from 50 concurrent producers, alternating the high (auth) and low (marketing) lanes. */
async function sendConcurrently(clientId: string, tag: string, count: number) {
  const all = Array.from({ length: count }, (_, n) =>
    message(clientId, tag, n, n % 2 === 0 ? "AUTHENTICATION" : "MARKETING"),
  );
  const producers = Math.min(50, count);
  await Promise.all(
    Array.from({ length: producers }, (_, p) =>
      deps.producer.send(
        prefixed(TOPICS.bulk.name),
        all.filter((_, i) => i % producers === p).map((m) => ({ key: m.messageId, value: JSON.stringify(m) })),
      ),
    ),
  );
}

const refusedCount = (clientId: string) =>
  deps.db.prisma.message.count({ where: { clientId, status: "REJECTED", statusReason: "CREDIT_LIMIT_EXCEEDED" } });

async function usageOf(accountId: string) {
  const [account, records] = await Promise.all([
    deps.db.prisma.account.findUniqueOrThrow({ where: { id: accountId } }),
    deps.db.prisma.usageRecord.aggregate({ where: { accountId }, _sum: { amount: true }, _count: true }),
  ]);
  return { unbilled: account.unbilledUsage, count: records._count, sum: records._sum.amount ?? 0n };
}

async function settledGate(accountId: string) {
  await waitFor(
    () => deps.redis.hlen(`account:${accountId}:pending`),
    (n) => n === 0,
    { what: "reservations settled", timeoutMs: 60_000 },
  );
  return deps.redis.get(`account:${accountId}:available`);
}

describe("postpaid lane", () => {
  it("rates exactly what the credit limit covers, applies replays once, and follows a raised limit", async () => {
    const covered = 40;
    const total = 100;
    const { client, account } = await postpaidClient(BigInt(covered) * PRICE);

    // (a) 100 messages race over both lanes and three gate consumers: exactly 40 are rated.
    await sendConcurrently(client.id, "race", total);
    const refused = await waitFor(
      () => refusedCount(client.id),
      (n) => n === total - covered,
      { what: "the messages over the credit limit to be refused", timeoutMs: 90_000 },
    );
    expect(refused).toBe(total - covered);
    const applied = await waitFor(
      () => usageOf(account.id),
      (u) => u.count === covered,
      { what: "the rated messages' usage to be applied", timeoutMs: 60_000 },
    );
    expect(applied).toEqual({ unbilled: BigInt(covered) * PRICE, count: covered, sum: BigInt(covered) * PRICE });
    expect(await settledGate(account.id)).toBe("0");
    const records = await deps.db.prisma.usageRecord.findMany({ where: { accountId: account.id } });
    expect(new Set(records.map((r) => r.destination))).toEqual(new Set(["GB"]));
    expect(records.every((r) => r.clientId === client.id && r.reference === `cdr:${r.messageId}`)).toBe(true);
    // Which 40 win the race is up to the lanes (under load one lane can take all of them); each is rated in its own
    // message's category.
    for (const r of records) {
      expect(r.category).toBe(Number(r.messageId.split("-").at(-1)) % 2 === 0 ? "AUTHENTICATION" : "MARKETING");
    }
    // Every message ended either rated (still ACCEPTED, on its way to delivery) or refused.
    const rated = new Set(records.map((r) => r.messageId));
    const statuses = await deps.db.prisma.message.findMany({ where: { clientId: client.id } });
    expect(statuses).toHaveLength(total);
    for (const m of statuses) expect(m.status).toBe(rated.has(m.id) ? "ACCEPTED" : "REJECTED");

    // The rated ones went on to delivery, over either priority (one lane may have taken them all); the refused did not.
    const mineOn = (rs: { value: string }[]) => routedOnTopic(rs).filter((m) => m.accountId === account.id);
    const copiesOnSend = mineOn(
      await readTopic(
        deps.kafka,
        [prefixed(TOPICS.sendHigh.name), prefixed(TOPICS.sendLow.name)],
        (rs) => new Set(mineOn(rs).map((m) => m.messageId)).size >= covered,
      ),
    );
    // At least once: a produce retried after a lost ack lands twice.
    const sent = [...new Map(copiesOnSend.map((m) => [m.messageId, m])).values()];
    expect(sent.map((m) => m.messageId).sort()).toEqual([...rated].sort());

    // (b) Replayed messages pass as rated without reserving (the headroom is 0, they would be refused)…
    await Promise.all(
      sent.map((m) =>
        deps.producer.send(prefixed(m.category === "MARKETING" ? TOPICS.postpaid.name : TOPICS.postpaidHigh.name), [
          { key: m.accountId, value: JSON.stringify(m) },
        ]),
      ),
    );
    const cdrTopic = prefixed(TOPICS.usageCdrPostpaid.name);
    const mine = (records: { value: string }[]) => cdrsOnTopic(records).filter((c) => c.accountId === account.id);
    const cdrs: UsageCdrWire[] = mine(await readTopic(deps.kafka, cdrTopic, (rs) => mine(rs).length >= covered * 2));
    expect(new Set(cdrs.map((c) => c.cdrId)).size).toBe(covered);
    expect(cdrs.every((c) => c.destination === "GB")).toBe(true);

    // …and the same CDRs produced twice more, with two that can never be applied, add nothing.
    const unknownAccount = { ...cdrs[0]!, cdrId: `${cdrs[0]!.cdrId}-stray`, accountId: `nobody-${client.id}` };
    const negative = { ...cdrs[0]!, cdrId: `${cdrs[0]!.cdrId}-negative`, amount: "-2" };
    for (let round = 0; round < 2; round++) {
      await deps.producer.send(
        cdrTopic,
        cdrs.slice(0, covered).map((c) => ({ key: c.accountId, value: JSON.stringify(c) })),
      );
    }
    await deps.producer.send(
      cdrTopic,
      [unknownAccount, negative].map((c) => ({ key: c.accountId, value: JSON.stringify(c) })),
    );
    const dead = await readTopic(
      deps.kafka,
      prefixed(TOPICS.usageCdrPostpaid.dlq),
      (rs) => rs.filter((r) => [unknownAccount.cdrId, negative.cdrId].includes(JSON.parse(r.value).cdrId)).length >= 2,
    );
    const deadErrors = dead
      .filter((r) => [unknownAccount.cdrId, negative.cdrId].includes(JSON.parse(r.value).cdrId))
      .map((r) => r.headers["volley-dlq-error"]);
    expect(deadErrors.sort()).toEqual([`negative amount -2`, `unknown account nobody-${client.id}`].sort());
    await waitForGroupCaughtUp(deps.kafka, prefixed("postpaid-manager"), cdrTopic, 60_000);
    expect(await usageOf(account.id)).toEqual({
      unbilled: BigInt(covered) * PRICE,
      count: covered,
      sum: BigInt(covered) * PRICE,
    });
    expect(await refusedCount(client.id)).toBe(total - covered);
    expect(await settledGate(account.id)).toBe("0");

    // (c) An operator raises the credit limit by 10 messages' worth: the headroom follows at once…
    const raised = 10;
    const operator = await callerAs(deps.api, "OPERATOR");
    await operator.clients.update({ id: client.id, creditLimit: String(BigInt(covered + raised) * PRICE) });
    expect(await deps.redis.get(`account:${account.id}:available`)).toBe(String(BigInt(raised) * PRICE));
    const balance = await operator.billing.balance({ accountId: account.id });
    expect(balance).toMatchObject({
      billingType: "POSTPAID",
      creditLimit: BigInt(covered + raised) * PRICE,
      unbilledUsage: BigInt(covered) * PRICE,
      available: BigInt(raised) * PRICE,
    });

    // …and of 15 further messages exactly 10 are rated.
    await sendConcurrently(client.id, "after-raise", 15);
    await waitFor(
      () => refusedCount(client.id),
      (n) => n === total - covered + 5,
      { what: "the messages over the raised limit to be refused", timeoutMs: 90_000 },
    );
    const after = await waitFor(
      () => usageOf(account.id),
      (u) => u.count === covered + raised,
      { what: "the usage under the raised limit to be applied", timeoutMs: 60_000 },
    );
    expect(after).toEqual({
      unbilled: BigInt(covered + raised) * PRICE,
      count: covered + raised,
      sum: BigInt(covered + raised) * PRICE,
    });
    expect(await settledGate(account.id)).toBe("0");
    const audit = await deps.db.prisma.auditEntry.findFirstOrThrow({
      where: { target: client.id, action: "client.update" },
    });
    expect(audit.details).toMatchObject({ creditLimit: String(BigInt(covered + raised) * PRICE) });

    // The month's invoice for exactly that usage (this account only: other files' usage is not ours to bill),
    // itemised by category and destination; unbilled usage drops to 0 and the headroom is back to the full limit.
    const period = { ...monthPeriod(monthOf(new Date())), periodEnd: new Date(Date.now() + 60_000) };
    const invoice = await invoiceAccount({ ...deps, namespace: deps.env.KAFKA_TOPIC_PREFIX }, account.id, period);
    expect(invoice?.total).toBe(BigInt(covered + raised) * PRICE);
    const lines = await deps.db.prisma.invoiceLine.findMany({ where: { invoiceId: invoice!.id } });
    expect(lines.reduce((sum, l) => sum + l.amount, 0n)).toBe(invoice!.total);
    expect(lines.reduce((n, l) => n + l.messages, 0)).toBe(covered + raised);
    expect(new Set(lines.map((l) => l.destination))).toEqual(new Set(["GB"]));
    const byCategory = await deps.db.prisma.usageRecord.groupBy({
      by: ["category"],
      where: { accountId: account.id },
      _sum: { amount: true },
    });
    for (const c of byCategory) expect(lines.find((l) => l.category === c.category)?.amount).toBe(c._sum.amount ?? 0n);
    expect((await usageOf(account.id)).unbilled).toBe(0n);
    expect(await settledGate(account.id)).toBe(String(BigInt(covered + raised) * PRICE));
  });

  it("moves no headroom for a prepaid client's credit limit", async () => {
    const client = await createTestClient(deps.api, { balance: 50n });
    const account = await deps.db.prisma.account.findFirstOrThrow({ where: { clientId: client.id } });
    const operator = await callerAs(deps.api, "OPERATOR");
    expect(await operator.billing.balance({ accountId: account.id })).toMatchObject({ available: 50n });
    // Load the account into the gate the way the lanes do, then change the (unused) credit limit.
    await deps.redis.set(`account:${account.id}:available`, "50", "NX");
    await operator.clients.update({ id: client.id, creditLimit: "1000" });
    expect(await deps.redis.get(`account:${account.id}:available`)).toBe("50");
    expect(await operator.billing.balance({ accountId: account.id })).toMatchObject({
      billingType: "PREPAID",
      available: 50n,
      balance: 50n,
    });
  });
});
