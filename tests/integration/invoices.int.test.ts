import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { availableKey, readyKey } from "@/server/billing/balance-gate";
import { invoiceJobKey, invoicePreviousMonth, runInvoiceJobIfDue } from "@/server/invoices/job";
import { monthPeriod } from "@/server/invoices/period";
import { generateInvoices } from "@/server/invoices/service";
import { callerAs, createTestClient, createTestDeps, startStages, waitFor } from "./helpers";

// Monthly postpaid invoices over real Postgres and Redis: usage rows of two
// months, refunds, several categories and destinations, two postpaid clients
// and a prepaid one. Totals must be exact to the minor unit, the rows stamped,
// unbilled usage and the credit headroom moved by exactly the invoiced amount,
// and a second run must change nothing.
//
// The periods lie years back: invoicing a month takes every unbilled row
// before its end, and other test runs share this database with live usage
// dated today.

let deps: Awaited<ReturnType<typeof createTestDeps>>;
const invoiceDeps = () => ({ db: deps.db, redis: deps.redis, namespace: deps.env.KAFKA_TOPIC_PREFIX, log: deps.log });

beforeAll(async () => {
  deps = await createTestDeps();
  await deps.redis.set(readyKey(deps.env.KAFKA_TOPIC_PREFIX), "test");
});
afterAll(async () => {
  await deps?.close();
});

type Usage = {
  kind?: "cdr" | "refund";
  message: string;
  category: "MARKETING" | "AUTHENTICATION" | "AGENT_FLOW";
  destination: string;
  segments: number;
  amount: bigint;
  at: string;
};

/** Inserts usage rows as the postpaid lane writes them, unbilled usage included. */
async function addUsage(clientId: string, rows: Usage[]) {
  const account = await deps.db.prisma.account.findFirstOrThrow({ where: { clientId } });
  await deps.db.prisma.$transaction([
    deps.db.prisma.usageRecord.createMany({
      data: rows.map((r) => ({
        accountId: account.id,
        clientId,
        messageId: `${account.id}-${r.message}`,
        reference: `${r.kind ?? "cdr"}:${account.id}-${r.message}`,
        category: r.category,
        destination: r.destination,
        segments: r.segments,
        amount: r.amount,
        currency: "USD",
        usedAt: new Date(r.at),
      })),
    }),
    deps.db.prisma.account.update({
      where: { id: account.id },
      data: { unbilledUsage: { increment: rows.reduce((s, r) => s + r.amount, 0n) } },
    }),
  ]);
  return account.id;
}

async function postpaidClient() {
  return createTestClient(deps.api, { billingType: "POSTPAID", balance: 0n });
}

const sumOf = (xs: bigint[]) => xs.reduce((a, b) => a + b, 0n);

describe("monthly invoices", () => {
  it("invoices each postpaid client's month exactly, once", async () => {
    const a = await postpaidClient();
    const b = await postpaidClient();
    const prepaid = await createTestClient(deps.api, { balance: 5_000n });
    const march = monthPeriod("2016-03");

    const accountA = await addUsage(a.id, [
      { message: "1", category: "MARKETING", destination: "GB", segments: 1, amount: 3n, at: "2016-03-01T00:00:00Z" },
      { message: "2", category: "MARKETING", destination: "GB", segments: 2, amount: 6n, at: "2016-03-10T12:00:00Z" },
      { message: "3", category: "MARKETING", destination: "GB", segments: 1, amount: 3n, at: "2016-03-11T12:00:00Z" },
      { message: "4", category: "MARKETING", destination: "DE", segments: 1, amount: 2n, at: "2016-03-12T08:00:00Z" },
      {
        message: "5",
        category: "AUTHENTICATION",
        destination: "DE",
        segments: 1,
        amount: 4n,
        at: "2016-03-15T08:00:00Z",
      },
      {
        message: "6",
        category: "AUTHENTICATION",
        destination: "DE",
        segments: 3,
        amount: 12n,
        at: "2016-03-20T08:00:00Z",
      },
      {
        message: "7",
        category: "AGENT_FLOW",
        destination: "ZZ",
        segments: 2,
        amount: 4n,
        at: "2016-03-31T23:59:59.999Z",
      },
      // Message 2 failed and was refunded, within the month.
      {
        kind: "refund",
        message: "2",
        category: "MARKETING",
        destination: "GB",
        segments: -2,
        amount: -6n,
        at: "2016-03-10T12:05:00Z",
      },
      // April: stays unbilled, including the refund of a March message.
      { message: "8", category: "MARKETING", destination: "GB", segments: 1, amount: 3n, at: "2016-04-01T00:00:00Z" },
      {
        kind: "refund",
        message: "6",
        category: "AUTHENTICATION",
        destination: "DE",
        segments: -3,
        amount: -12n,
        at: "2016-04-02T09:00:00Z",
      },
      { message: "9", category: "AGENT_FLOW", destination: "US", segments: 4, amount: 4n, at: "2016-04-03T09:00:00Z" },
    ]);
    const accountB = await addUsage(b.id, [
      { message: "1", category: "MARKETING", destination: "US", segments: 1, amount: 1n, at: "2016-02-27T10:00:00Z" },
      { message: "2", category: "MARKETING", destination: "US", segments: 5, amount: 5n, at: "2016-03-05T10:00:00Z" },
      { message: "3", category: "MARKETING", destination: "FR", segments: 1, amount: 2n, at: "2016-03-06T10:00:00Z" },
      { message: "4", category: "MARKETING", destination: "FR", segments: 1, amount: 2n, at: "2016-05-06T10:00:00Z" },
    ]);
    // A prepaid account never has usage rows in practice; even if it had, it gets no invoice.
    await addUsage(prepaid.id, [
      { message: "1", category: "MARKETING", destination: "GB", segments: 1, amount: 3n, at: "2016-03-02T10:00:00Z" },
    ]);

    // The gate holds A's headroom in Redis; B is not loaded (nothing to move).
    await deps.redis.set(availableKey(accountA), "1000");
    await deps.redis.del(availableKey(accountB));

    const startedAt = new Date();
    const result = await generateInvoices(invoiceDeps(), march);
    // The run's summary is exactly the invoices it wrote (the database is shared: at least ours; earlier
    // runs of this test invoiced their own accounts for the same month).
    const written = await deps.db.prisma.invoice.findMany({
      where: { periodStart: march.periodStart, createdAt: { gte: startedAt } },
    });
    expect(result.invoiceCount).toBe(written.length);
    expect(result.invoiceCount).toBeGreaterThanOrEqual(2);
    expect(result.totals.find((t) => t.currency === "USD")?.total).toBe(
      sumOf(written.filter((i) => i.currency === "USD").map((i) => i.total)),
    );

    const invoiceA = await deps.db.prisma.invoice.findUniqueOrThrow({
      where: { accountId_periodStart: { accountId: accountA, periodStart: march.periodStart } },
      include: { lines: true },
    });
    // 3+6+3+2+4+12+4−6 = 28 over 7 messages; the refund takes message 2's segments back.
    expect(invoiceA).toMatchObject({
      clientId: a.id,
      periodStart: march.periodStart,
      periodEnd: march.periodEnd,
      currency: "USD",
      total: 28n,
      messageCount: 7,
      segmentCount: 9,
    });
    const lines = (l: typeof invoiceA.lines) =>
      l
        .map((x) => [x.category, x.destination, x.messages, x.segments, x.amount])
        .sort((p, q) => String(p[0]).localeCompare(String(q[0])) || String(p[1]).localeCompare(String(q[1])));
    expect(lines(invoiceA.lines)).toEqual([
      ["AGENT_FLOW", "ZZ", 1, 2, 4n],
      ["AUTHENTICATION", "DE", 2, 4, 16n],
      ["MARKETING", "DE", 1, 1, 2n],
      ["MARKETING", "GB", 3, 2, 6n],
    ]);
    expect(sumOf(invoiceA.lines.map((l) => l.amount))).toBe(invoiceA.total);

    // B: February's unbilled usage is taken too (everything before periodEnd no invoice took).
    const invoiceB = await deps.db.prisma.invoice.findUniqueOrThrow({
      where: { accountId_periodStart: { accountId: accountB, periodStart: march.periodStart } },
      include: { lines: true },
    });
    expect(invoiceB).toMatchObject({ total: 8n, messageCount: 3, segmentCount: 7 });
    expect(lines(invoiceB.lines)).toEqual([
      ["MARKETING", "FR", 1, 1, 2n],
      ["MARKETING", "US", 2, 6, 6n],
    ]);

    // The stamped rows are exactly the period's, and they add up to the invoice.
    for (const [accountId, invoice] of [
      [accountA, invoiceA],
      [accountB, invoiceB],
    ] as const) {
      const stamped = await deps.db.prisma.usageRecord.findMany({ where: { invoiceId: invoice.id } });
      expect(stamped.every((r) => r.accountId === accountId && r.usedAt < march.periodEnd)).toBe(true);
      expect(sumOf(stamped.map((r) => r.amount))).toBe(invoice.total);
      const unbilled = await deps.db.prisma.usageRecord.findMany({ where: { accountId, invoiceId: null } });
      expect(unbilled.every((r) => r.usedAt >= march.periodEnd)).toBe(true);
      // Unbilled usage is now exactly the usage after the period.
      const account = await deps.db.prisma.account.findUniqueOrThrow({ where: { id: accountId } });
      expect(account.unbilledUsage).toBe(sumOf(unbilled.map((r) => r.amount)));
    }
    expect((await deps.db.prisma.account.findUniqueOrThrow({ where: { id: accountA } })).unbilledUsage).toBe(
      3n - 12n + 4n,
    );
    expect((await deps.db.prisma.account.findUniqueOrThrow({ where: { id: accountB } })).unbilledUsage).toBe(2n);

    // The invoiced amount left unbilled usage: the headroom grew by it.
    expect(await deps.redis.get(availableKey(accountA))).toBe("1028");
    expect(await deps.redis.get(availableKey(accountB))).toBeNull();

    // No invoice for the prepaid client; its row stays as it was.
    expect(await deps.db.prisma.invoice.count({ where: { clientId: prepaid.id } })).toBe(0);
    expect(await deps.db.prisma.usageRecord.count({ where: { clientId: prepaid.id, invoiceId: null } })).toBe(1);

    // A re-run creates nothing and moves nothing.
    const again = await generateInvoices(invoiceDeps(), march);
    expect(again.invoiceCount).toBe(0);
    expect(await deps.db.prisma.invoice.count({ where: { clientId: { in: [a.id, b.id] } } })).toBe(2);
    expect(await deps.redis.get(availableKey(accountA))).toBe("1028");
    expect((await deps.db.prisma.account.findUniqueOrThrow({ where: { id: accountA } })).unbilledUsage).toBe(-5n);

    // The console's view through tRPC: newest first, filtered by client, with lines and the client's name.
    const viewer = await callerAs(deps.api, "VIEWER");
    const listA = await viewer.invoices.list({ clientId: a.id });
    expect(listA.items.map((i) => [i.id, i.total, i.client.name])).toEqual([[invoiceA.id, 28n, a.name]]);
    expect(listA.nextCursor).toBeNull();
    const got = await viewer.invoices.get({ id: invoiceB.id });
    expect(got.client.name).toBe(b.name);
    expect(got.lines.map((l) => [l.category, l.destination, l.amount])).toEqual([
      ["MARKETING", "FR", 2n],
      ["MARKETING", "US", 6n],
    ]);
    await expect(viewer.invoices.get({ id: "no-such-invoice" })).rejects.toMatchObject({ code: "NOT_FOUND" });

    // April, through the monthly job run "in May": the rest of A's usage, refund
    // of a March message included, and B has nothing in April (its May row waits).
    const april = await invoicePreviousMonth(invoiceDeps(), new Date("2016-05-15T10:00:00Z"));
    expect(april.month).toBe("2016-04");
    const aprilA = await deps.db.prisma.invoice.findUniqueOrThrow({
      where: { accountId_periodStart: { accountId: accountA, periodStart: monthPeriod("2016-04").periodStart } },
      include: { lines: true },
    });
    expect(aprilA).toMatchObject({ total: -5n, messageCount: 2, segmentCount: 2 });
    expect(lines(aprilA.lines)).toEqual([
      ["AGENT_FLOW", "US", 1, 4, 4n],
      ["AUTHENTICATION", "DE", 0, -3, -12n],
      ["MARKETING", "GB", 1, 1, 3n],
    ]);
    expect(await deps.db.prisma.invoice.count({ where: { accountId: accountB } })).toBe(1);
    expect((await deps.db.prisma.account.findUniqueOrThrow({ where: { id: accountA } })).unbilledUsage).toBe(0n);
    // A credit invoice takes headroom back: unbilled usage went up by 5 from −5 to 0.
    expect(await deps.redis.get(availableKey(accountA))).toBe("1023");
  });

  it("pages newest first with a cursor", async () => {
    const c = await postpaidClient();
    const months = ["2012-01", "2012-02", "2012-03"];
    await addUsage(
      c.id,
      months.map((m, i) => ({
        message: String(i),
        category: "MARKETING" as const,
        destination: "GB",
        segments: 1,
        amount: BigInt(i + 1),
        at: `${m}-15T00:00:00Z`,
      })),
    );
    for (const m of months) await generateInvoices(invoiceDeps(), monthPeriod(m));
    const operator = await callerAs(deps.api, "OPERATOR");
    const first = await operator.invoices.list({ clientId: c.id, limit: 2 });
    expect(first.items.map((i) => i.total)).toEqual([3n, 2n]);
    expect(first.nextCursor).not.toBeNull();
    const second = await operator.invoices.list({ clientId: c.id, limit: 2, cursor: first.nextCursor });
    expect(second.items.map((i) => i.total)).toEqual([1n]);
    expect(second.nextCursor).toBeNull();
  });

  it("lets only admins generate, only for months that have ended, and audits it", async () => {
    const operator = await callerAs(deps.api, "OPERATOR");
    await expect(operator.invoices.generate({ month: "2019-01" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    const admin = await callerAs(deps.api, "ADMIN");
    await expect(admin.invoices.generate({ month: "2099-01" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: "2099-01 has not ended yet",
    });
    await expect(admin.invoices.generate({ month: "2019-13" })).rejects.toMatchObject({ code: "BAD_REQUEST" });

    // A month long past, so no other run's "previous month" reaches these rows.
    const c = await postpaidClient();
    const accountId = await addUsage(c.id, [
      { message: "1", category: "MARKETING", destination: "GB", segments: 2, amount: 6n, at: "2015-06-03T00:00:00Z" },
    ]);
    const result = await admin.invoices.generate({ month: "2015-06" });
    expect(result.invoiceCount).toBeGreaterThanOrEqual(1);
    const invoice = await deps.db.prisma.invoice.findFirstOrThrow({ where: { accountId } });
    expect(invoice).toMatchObject({ total: 6n, periodStart: new Date("2015-06-01T00:00:00Z") });
    const audit = await deps.db.prisma.auditEntry.findFirst({
      where: { action: "invoices.generate", target: "2015-06" },
      orderBy: { id: "desc" },
    });
    expect(audit?.details).toMatchObject({ invoices: result.invoiceCount });
  });

  it("runs from the scheduler worker at most once an hour", async () => {
    const ns = deps.env.KAFKA_TOPIC_PREFIX;
    await deps.redis.del(invoiceJobKey(ns));
    // Nothing to invoice in 2011-01 here; the point is the key.
    const now = new Date("2011-02-01T00:30:00Z");
    const first = await runInvoiceJobIfDue(invoiceDeps(), now);
    expect(first?.month).toBe("2011-01");
    expect(await runInvoiceJobIfDue(invoiceDeps(), now)).toBeNull();
    expect(await deps.redis.ttl(invoiceJobKey(ns))).toBeGreaterThan(3500);

    // The real scheduler worker invoices last month on start: a postpaid
    // client with usage last month gets its invoice without anyone asking.
    await deps.redis.del(invoiceJobKey(ns));
    const c = await postpaidClient();
    const lastMonth = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() - 1, 10));
    const accountId = await addUsage(c.id, [
      {
        message: randomUUID(),
        category: "MARKETING",
        destination: "GB",
        segments: 1,
        amount: 7n,
        at: lastMonth.toISOString(),
      },
    ]);
    const stages = await startStages(deps, ["scheduler"]);
    try {
      // Whichever scheduler got there first (this one or another test run's), the invoice is the same.
      const invoice = await waitFor(
        () => deps.db.prisma.invoice.findFirst({ where: { accountId } }),
        (i) => i !== null,
        { timeoutMs: 60_000, what: "the scheduler to invoice last month" },
      );
      expect(invoice).toMatchObject({ total: 7n, messageCount: 1 });
      expect(await deps.redis.exists(invoiceJobKey(ns))).toBe(1);
    } finally {
      await stages.stop();
    }
  });
});
