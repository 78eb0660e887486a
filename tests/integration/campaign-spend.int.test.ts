import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callerAs, createTestClient, createTestDeps } from "./helpers";

// What a campaign has cost (server/campaigns/spend.ts) against the real Postgres: a prepaid campaign's charges and
// refunds from the ledger, a postpaid one's from its usage rows, nothing of another campaign's or of top-ups. The
// browser test of a launched campaign shows it end to end.

let deps: Awaited<ReturnType<typeof createTestDeps>>;

beforeAll(async () => {
  deps = await createTestDeps();
});

afterAll(async () => {
  await deps?.close();
});

async function campaignOf(billingType: "PREPAID" | "POSTPAID") {
  const client = await createTestClient(deps.api, { billingType });
  const account = await deps.db.prisma.account.findFirstOrThrow({ where: { clientId: client.id } });
  const operator = await callerAs(deps.api, "OPERATOR");
  const create = (name: string) =>
    operator.campaigns.create({
      clientId: client.id,
      name,
      senderId: "TESTCO",
      template: "Sale today only",
      category: "MARKETING",
      recipients: { kind: "paste", text: "+447400123100\n+447400123101\n+447400123102" },
      allowDefer: false,
      scheduledAt: null,
    });
  return { client, account, campaign: await create("spend"), other: await create("another") };
}

/** The expected answer: messages and amount charged, then refunded. */
const spendOf = (billingType: "PREPAID" | "POSTPAID", charged: [number, bigint], refunded: [number, bigint]) => ({
  billingType,
  currency: "USD",
  charged: { messages: charged[0], amount: charged[1] },
  refunded: { messages: refunded[0], amount: refunded[1] },
  net: charged[1] - refunded[1],
});

describe("campaign spend", () => {
  it("sums a prepaid campaign's charges and refunds from the ledger, live as they land", async () => {
    const { account, campaign, other } = await campaignOf("PREPAID");
    const viewer = await callerAs(deps.api, "VIEWER");
    expect(await viewer.campaigns.spend({ id: campaign.id })).toEqual(spendOf("PREPAID", [0, 0n], [0, 0n]));

    const entry = (type: "CHARGE" | "REFUND" | "TOPUP", amount: bigint, ref: string, campaignId: string | null) => ({
      accountId: account.id,
      type,
      amount,
      reference: `${ref}:${campaignId}-${amount}-${Math.random()}`,
      campaignId,
    });
    await deps.db.prisma.ledgerEntry.createMany({
      data: [
        entry("CHARGE", -3n, "cdr", campaign.id),
        entry("CHARGE", -3n, "cdr", campaign.id),
        entry("CHARGE", -6n, "cdr", campaign.id), // two segments
        entry("REFUND", 3n, "refund", campaign.id),
        entry("CHARGE", -3n, "cdr", other.id),
        entry("TOPUP", 1_000n, "topup", null),
      ],
    });
    expect(await viewer.campaigns.spend({ id: campaign.id })).toEqual(spendOf("PREPAID", [3, 12n], [1, 3n]));
  });

  it("sums a postpaid campaign's usage, a refund being a negative usage row", async () => {
    const { client, account, campaign, other } = await campaignOf("POSTPAID");
    const usage = (messageId: string, amount: bigint, refund: boolean, campaignId: string) => ({
      accountId: account.id,
      clientId: client.id,
      campaignId,
      messageId,
      reference: `${refund ? "refund" : "cdr"}:${messageId}`,
      category: "MARKETING" as const,
      destination: "GB",
      segments: refund ? 0 : 1,
      amount,
      currency: "USD",
      usedAt: new Date(),
    });
    await deps.db.prisma.usageRecord.createMany({
      data: [
        usage(`${campaign.id}-1`, 2n, false, campaign.id),
        usage(`${campaign.id}-2`, 2n, false, campaign.id),
        usage(`${campaign.id}-2`, -2n, true, campaign.id),
        usage(`${other.id}-1`, 2n, false, other.id),
      ],
    });
    const viewer = await callerAs(deps.api, "VIEWER");
    expect(await viewer.campaigns.spend({ id: campaign.id })).toEqual(spendOf("POSTPAID", [2, 4n], [1, 2n]));
    await expect(viewer.campaigns.spend({ id: `${campaign.id}-missing` })).rejects.toThrow(/not found/i);
  });
});
