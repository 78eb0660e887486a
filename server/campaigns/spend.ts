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

// Charges and refunds as billing records them: a prepaid message's in the ledger (a CHARGE is negative, a REFUND
// positive), a postpaid one's as usage rows (a refund is a negative row, `refund:<message>`). Both tables are read
// (each through its campaign index), so a client that changed billing type mid-campaign is still added up whole.
const SPEND_SQL = `
SELECT count(*) FILTER (WHERE NOT refund)::int AS charged_messages,
       COALESCE(sum(cost) FILTER (WHERE NOT refund), 0)::text AS charged,
       count(*) FILTER (WHERE refund)::int AS refunded_messages,
       COALESCE(-sum(cost) FILTER (WHERE refund), 0)::text AS refunded
FROM (
  SELECT type = 'REFUND' AS refund, -amount AS cost FROM ledger_entries
  WHERE campaign_id = $1 AND type IN ('CHARGE', 'REFUND')
  UNION ALL
  SELECT reference LIKE 'refund:%', amount FROM usage_records WHERE campaign_id = $1
) AS billed`;

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
  const { rows } = await db.pool.query<{
    charged_messages: number;
    charged: string;
    refunded_messages: number;
    refunded: string;
  }>(SPEND_SQL, [id]);
  const r = rows[0]!;
  const charged = BigInt(r.charged);
  const refunded = BigInt(r.refunded);
  return {
    billingType: campaign.client.billingType,
    currency: campaign.client.accounts[0]?.currency ?? "USD",
    charged: { messages: r.charged_messages, amount: charged },
    refunded: { messages: r.refunded_messages, amount: refunded },
    net: charged - refunded,
  };
}
