import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reserve } from "@/server/billing/balance-gate";
import { callerAs, createTestClient, createTestDeps } from "./helpers";

// Operators top up and correct balances: ledger entry with who and why, the
// Postgres balance and the gate's available balance move together.

let deps: Awaited<ReturnType<typeof createTestDeps>>;

beforeAll(async () => {
  deps = await createTestDeps();
  await deps.redis.set(`billing:${deps.env.KAFKA_TOPIC_PREFIX}ready`, "test");
});
afterAll(async () => {
  await deps?.close();
});

describe("balance adjustments", () => {
  it("tops up and corrects, recorded in the ledger with the operator and reason", async () => {
    const client = await createTestClient(deps.api, { balance: 1_000n });
    const account = await deps.db.prisma.account.findFirstOrThrow({ where: { clientId: client.id } });
    const operator = await callerAs(deps.api, "OPERATOR");

    // The gate has the account loaded and 300 reserved.
    expect(
      await reserve(deps.redis, deps.db.pool, deps.env.KAFKA_TOPIC_PREFIX, [
        { accountId: account.id, messageId: `m-${account.id}`, amount: 300n },
      ]),
    ).toEqual([true]);
    expect(await operator.billing.balance({ accountId: account.id })).toMatchObject({
      balance: 1_000n,
      available: 700n,
    });

    const topped = await operator.billing.adjust({
      accountId: account.id,
      type: "TOPUP",
      amount: "2500",
      reason: "Wire 2026-11-24",
    });
    expect(topped).toMatchObject({ balance: 3_500n, available: 3_200n });
    const corrected = await operator.billing.adjust({
      accountId: account.id,
      type: "ADJUSTMENT",
      amount: "-100",
      reason: "Duplicate wire fee",
    });
    expect(corrected).toMatchObject({ balance: 3_400n, available: 3_100n });

    const ledger = await operator.billing.ledger({ accountId: account.id });
    expect(ledger.items.map((e) => [e.type, e.amount, e.reason])).toEqual([
      ["ADJUSTMENT", -100n, "Duplicate wire fee"],
      ["TOPUP", 2_500n, "Wire 2026-11-24"],
    ]);
    expect(ledger.items.every((e) => e.operatorId !== null)).toBe(true);
    const sum = await deps.db.prisma.ledgerEntry.aggregate({
      where: { accountId: account.id },
      _sum: { amount: true },
    });
    // Opening balance 1000 had no ledger entry in this test fixture: the entries explain the change.
    expect(sum._sum.amount).toBe(2_400n);
  });

  it("refuses bad amounts and read-only operators", async () => {
    const client = await createTestClient(deps.api);
    const account = await deps.db.prisma.account.findFirstOrThrow({ where: { clientId: client.id } });
    const operator = await callerAs(deps.api, "OPERATOR");
    await expect(
      operator.billing.adjust({ accountId: account.id, type: "TOPUP", amount: "10.50", reason: "float" }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(
      operator.billing.adjust({ accountId: account.id, type: "TOPUP", amount: "-5", reason: "negative" }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(
      operator.billing.adjust({ accountId: "nope", type: "TOPUP", amount: "5", reason: "unknown" }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(
      (await callerAs(deps.api, "VIEWER")).billing.adjust({
        accountId: account.id,
        type: "TOPUP",
        amount: "5",
        reason: "viewer",
      }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});
