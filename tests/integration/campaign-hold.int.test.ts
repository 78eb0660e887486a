import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { availableKey, holdKey } from "@/server/billing/balance-gate";
import { ensureBalancesReady, rebuildBalances } from "@/server/billing/rebuild";
import { TOPICS, type BulkMessage } from "@/server/kafka/topics";
import { callerAs, createTestClient, createTestDeps, startStages, waitFor } from "./helpers";

// Campaign quote and hold against real Kafka, Redis and Postgres: the quote
// prices every row per destination, a hold sets the quote aside so other
// traffic cannot spend it, the campaign's charges draw from it, and what is
// left goes back on completion or cancellation (and survives a rebuild).

let deps: Awaited<ReturnType<typeof createTestDeps>>;

beforeAll(async () => {
  deps = await createTestDeps();
  // As the billing lanes do when they start: holds need the gate's balances in Redis.
  await ensureBalancesReady({ ...deps, topicPrefix: deps.env.KAFKA_TOPIC_PREFIX });
});

afterAll(async () => {
  await deps?.close();
});

const GB = Array.from({ length: 10 }, (_, i) => `+447400123${String(100 + i)}`);
const DE = ["+4915123456780", "+4915123456781"];

/** GB mobiles cost 3 per segment, everything else the plan's default 2. */
async function setUp(balance: bigint, opts: { scheduledAt?: Date } = {}) {
  const client = await createTestClient(deps.api, { balance });
  await deps.db.prisma.ratePrice.create({
    data: { ratePlanId: client.ratePlanId, prefix: "+447400", pricePerSegment: 3n },
  });
  const account = await deps.db.prisma.account.findFirstOrThrow({ where: { clientId: client.id } });
  const operator = await callerAs(deps.api, "OPERATOR");
  const campaign = await operator.campaigns.create({
    clientId: client.id,
    name: "hold test",
    senderId: "TESTCO",
    template: "Sale today only",
    category: "MARKETING",
    recipients: { kind: "paste", text: [...GB, ...DE, "12345"].join("\n") },
    allowDefer: false,
    scheduledAt: opts.scheduledAt ?? null,
  });
  return { client, account, operator, campaign };
}

const available = async (accountId: string) => BigInt((await deps.redis.get(availableKey(accountId))) ?? "NaN");

describe("campaign quote and hold", () => {
  it("quotes per destination, holds the quote, and other traffic cannot spend it", async () => {
    const { client, account, operator, campaign } = await setUp(40n);

    const quote = await operator.campaigns.quote({ id: campaign.id });
    expect(quote.total).toBe(34n);
    expect(quote.unsendable).toBe(1);
    expect(quote.lines).toEqual([
      { destination: "GB", recipients: 10, segments: 10, amount: 30n },
      { destination: "DE", recipients: 2, segments: 2, amount: 4n },
    ]);
    expect(quote.available).toBe(40n);
    expect(quote.covers).toBe(true);

    await operator.campaigns.launch({ id: campaign.id, hold: true });
    expect(await available(account.id)).toBe(6n);
    expect(await deps.redis.get(holdKey(campaign.id))).toBe("34");

    const stages = await startStages(deps, [
      "launcher",
      "scheduler",
      "validator",
      "status-writer",
      "prepaid-high",
      "prepaid-low",
      "prepaid-manager",
    ]);
    try {
      // Five one-off messages at 2 each beside the campaign: only 6 is spendable.
      const others: BulkMessage[] = Array.from({ length: 5 }, (_, i) => ({
        v: 1,
        messageId: `hold-other-${client.id}-${i}`,
        clientId: client.id,
        campaignId: null,
        row: null,
        // Guernsey mobiles: the default price.
        recipient: `+447911123${String(900 + i)}`,
        sender: "TESTCO",
        template: "Your code is 1234",
        variables: {},
        category: "AUTHENTICATION",
        createdAt: new Date().toISOString(),
      }));
      await deps.producer.send(
        deps.env.KAFKA_TOPIC_PREFIX + TOPICS.bulk.name,
        others.map((m) => ({ key: m.messageId, value: JSON.stringify(m) })),
      );

      // Delivery comes in a later issue: report the charged messages delivered, as bulk-proc will.
      const charged = await waitFor(
        () => deps.db.prisma.ledgerEntry.findMany({ where: { campaignId: campaign.id }, select: { messageId: true } }),
        (rows) => rows.length === 12,
        { what: "the campaign's 12 sendable messages to be charged", timeoutMs: 60_000 },
      );
      await deps.producer.send(
        deps.env.KAFKA_TOPIC_PREFIX + TOPICS.messageStatus.name,
        charged.map(({ messageId }) => ({
          key: messageId,
          value: JSON.stringify({
            v: 1,
            messageId,
            status: "DELIVERED",
            reason: null,
            stage: "test",
            at: new Date().toISOString(),
          }),
        })),
      );
      const done = await waitFor(
        () => deps.db.prisma.campaign.findUniqueOrThrow({ where: { id: campaign.id } }),
        (c) => c.status === "COMPLETED" && c.holdReleasedAt !== null,
        { what: "the campaign to complete and release its hold", timeoutMs: 90_000 },
      );
      expect(done.holdAmount).toBe(34n);
      const refused = await waitFor(
        () => deps.db.prisma.message.count({ where: { clientId: client.id, statusReason: "INSUFFICIENT_BALANCE" } }),
        (n) => n === 2,
        { what: "two one-off messages to be refused", timeoutMs: 60_000 },
      );
      expect(refused).toBe(2);
      const settled = await waitFor(
        () => deps.db.prisma.account.findUniqueOrThrow({ where: { id: account.id } }),
        (a) => a.balance === 0n,
        { what: "every charge to reach Postgres", timeoutMs: 60_000 },
      );
      expect(settled.balance).toBe(0n);
    } finally {
      await stages.stop();
    }
    const charges = await deps.db.prisma.ledgerEntry.aggregate({
      where: { accountId: account.id, type: "CHARGE" },
      _sum: { amount: true },
      _count: true,
    });
    expect(charges._count).toBe(15);
    expect(charges._sum.amount).toBe(-40n);
    const campaignCharges = await deps.db.prisma.ledgerEntry.aggregate({
      where: { campaignId: campaign.id },
      _sum: { amount: true },
    });
    expect(campaignCharges._sum.amount).toBe(-34n);
    expect(await deps.redis.get(holdKey(campaign.id))).toBeNull();
    expect(await available(account.id)).toBe(0n);
  });

  it("refuses to launch when the balance does not cover the quote, and moves no money", async () => {
    const { account, operator, campaign } = await setUp(10n);
    await expect(operator.campaigns.launch({ id: campaign.id, hold: true })).rejects.toThrow(
      /does not cover the quote/,
    );
    const after = await deps.db.prisma.campaign.findUniqueOrThrow({ where: { id: campaign.id } });
    expect(after.status).toBe("DRAFT");
    expect(after.holdAmount).toBeNull();
    expect(await available(account.id)).toBe(10n);
    expect(await deps.redis.get(holdKey(campaign.id))).toBeNull();
  });

  it("restores what is left of a hold after Redis lost the balances, and gives it back on cancel", async () => {
    const { account, operator, campaign } = await setUp(100n, { scheduledAt: new Date(Date.now() + 3_600_000) });
    const launched = await operator.campaigns.launch({ id: campaign.id, hold: true });
    expect(launched.status).toBe("SCHEDULED");
    expect(await available(account.id)).toBe(66n);

    // Redis loses this account's figures: the rebuild puts the hold back from Postgres.
    await deps.redis.del(availableKey(account.id), holdKey(campaign.id));
    await rebuildBalances({ ...deps, topicPrefix: deps.env.KAFKA_TOPIC_PREFIX });
    expect(await deps.redis.get(holdKey(campaign.id))).toBe("34");
    expect(await available(account.id)).toBe(66n);

    await operator.campaigns.cancel({ id: campaign.id });
    expect(await available(account.id)).toBe(100n);
    expect(await deps.redis.get(holdKey(campaign.id))).toBeNull();
    const cancelled = await deps.db.prisma.campaign.findUniqueOrThrow({ where: { id: campaign.id } });
    expect(cancelled.holdReleasedAt).not.toBeNull();
  });
});
