import type { Db } from "../db";
import { AppError } from "../errors";

export type CampaignSpend = {
  billingType: "PREPAID" | "POSTPAID";
  currency: string;
  /** Messages charged (one charge per message, whatever its segments) and what they cost. */
  charged: { messages: number; amount: bigint };
  /** Charged messages that finally failed and were refunded, and the amount given back. */
  refunded: { messages: number; amount: bigint };
  /** What the campaign has cost its client so far: charged minus refunded. */
  net: bigint;
};

// Charges and refunds as billing records them: a prepaid campaign's in the ledger (a CHARGE is negative, a REFUND
// positive), a postpaid one's as usage rows (a refund is a negative row, `refund:<message>`). Both read through their
// table's campaign index.
const PREPAID_SPEND_SQL = `
SELECT count(*) FILTER (WHERE type = 'CHARGE')::int AS charged_messages,
       COALESCE(-sum(amount) FILTER (WHERE type = 'CHARGE'), 0)::text AS charged,
       count(*) FILTER (WHERE type = 'REFUND')::int AS refunded_messages,
       COALESCE(sum(amount) FILTER (WHERE type = 'REFUND'), 0)::text AS refunded
FROM ledger_entries WHERE campaign_id = $1 AND type IN ('CHARGE', 'REFUND')`;

const POSTPAID_SPEND_SQL = `
SELECT count(*) FILTER (WHERE reference NOT LIKE 'refund:%')::int AS charged_messages,
       COALESCE(sum(amount) FILTER (WHERE reference NOT LIKE 'refund:%'), 0)::text AS charged,
       count(*) FILTER (WHERE reference LIKE 'refund:%')::int AS refunded_messages,
       COALESCE(-sum(amount) FILTER (WHERE reference LIKE 'refund:%'), 0)::text AS refunded
FROM usage_records WHERE campaign_id = $1`;

/** What a campaign has cost so far, from the billing records of its messages (live while it runs). */
export async function campaignSpend(db: Db, id: string): Promise<CampaignSpend> {
  const campaign = await db.prisma.campaign.findUnique({
    where: { id },
    select: {
      client: {
        select: {
          billingType: true,
          accounts: { take: 1, orderBy: [{ createdAt: "asc" }, { id: "asc" }], select: { currency: true } },
        },
      },
    },
  });
  if (!campaign) throw new AppError("NOT_FOUND", "Campaign not found");
  const { billingType } = campaign.client;
  const { rows } = await db.pool.query<{
    charged_messages: number;
    charged: string;
    refunded_messages: number;
    refunded: string;
  }>(billingType === "PREPAID" ? PREPAID_SPEND_SQL : POSTPAID_SPEND_SQL, [id]);
  const r = rows[0]!;
  const charged = BigInt(r.charged);
  const refunded = BigInt(r.refunded);
  return {
    billingType,
    currency: campaign.client.accounts[0]?.currency ?? "USD",
    charged: { messages: r.charged_messages, amount: charged },
    refunded: { messages: r.refunded_messages, amount: refunded },
    net: charged - refunded,
  };
}
