import type { Db } from "../db";
import type { UsageCdr } from "../kafka/topics";
import { withAccountsLocked } from "./account-batch";
import { ledgerReference, uniqueCdrs } from "./deduct";

// Postpaid usage, applied in batches like prepaid deduction (deduct.ts): a
// batch of CDRs is one transaction with one multi-row usage_records insert
// and one unbilled-usage increment per account. The record's unique
// reference (`cdr:<cdr id>`, the same key the ledger uses) makes a replayed
// CDR insert nothing, and accounts grow only by the rows actually inserted.

export type UsageResult = {
  /** Per account, what this batch newly added to unbilled usage and from how many CDRs. */
  applied: { accountId: string; amount: bigint; cdrs: number }[];
  /** Unbilled usage after the batch of every account the batch named, added to or not. */
  accounts: { accountId: string; unbilledUsage: bigint }[];
  /** CDRs that were not applied: unknown account, not a postpaid one, or another currency. */
  refused: { cdr: UsageCdr; reason: string }[];
};

export type LockedUsageAccount = {
  id: string;
  client_id: string;
  currency: string;
  billing_type: "PREPAID" | "POSTPAID";
  unbilled_usage: string;
};

const LOCK_SQL = `
SELECT a.id, a.client_id, a.currency, c.billing_type, a.unbilled_usage::text AS unbilled_usage
FROM accounts a JOIN clients c ON c.id = a.client_id
WHERE a.id = ANY($1::text[]) ORDER BY a.id FOR NO KEY UPDATE OF a`;

/** Splits a batch (first copy of each CDR id) into what can be applied and what never can. */
export function screenUsageCdrs(
  cdrs: UsageCdr[],
  accounts: Map<string, Pick<LockedUsageAccount, "currency" | "billing_type">>,
): { accepted: UsageCdr[]; refused: UsageResult["refused"] } {
  const accepted: UsageCdr[] = [];
  const refused: UsageResult["refused"] = [];
  for (const cdr of uniqueCdrs(cdrs)) {
    const account = accounts.get(cdr.accountId);
    if (!account) refused.push({ cdr, reason: `unknown account ${cdr.accountId}` });
    else if (account.billing_type !== "POSTPAID")
      refused.push({ cdr, reason: `account ${cdr.accountId} is not a postpaid account` });
    else if (account.currency !== cdr.currency)
      refused.push({ cdr, reason: `account ${cdr.accountId} bills in ${account.currency}, not ${cdr.currency}` });
    else accepted.push(cdr);
  }
  return { accepted, refused };
}

/** The unnest() columns of the usage_records insert; the client is the account's own. */
export function usageColumns(cdrs: UsageCdr[], clientOf: Map<string, string>) {
  return {
    accountIds: cdrs.map((c) => c.accountId),
    clientIds: cdrs.map((c) => clientOf.get(c.accountId) ?? c.clientId),
    campaignIds: cdrs.map((c) => c.campaignId),
    messageIds: cdrs.map((c) => c.messageId),
    references: cdrs.map((c) => ledgerReference(c.cdrId)),
    categories: cdrs.map((c) => c.category),
    // CDRs from before the field existed have no destination: invoiced as unknown.
    destinations: cdrs.map((c) => c.destination ?? "ZZ"),
    segments: cdrs.map((c) => c.segments),
    amounts: cdrs.map((c) => c.amount.toString()),
    currencies: cdrs.map((c) => c.currency),
    usedAt: cdrs.map((c) => c.at),
  };
}

// Inserts the usage records, skipping references already there, and adds to
// each account's unbilled usage once, the sum of the rows this statement
// inserted (RETURNING of the insert), so a replayed CDR adds nothing.
const APPLY_SQL = `
WITH inserted AS (
  INSERT INTO usage_records (account_id, client_id, campaign_id, message_id, reference, category,
                             destination, segments, amount, currency, used_at)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::"MessageCategory"[],
                       $7::text[], $8::int[], $9::bigint[], $10::text[], $11::timestamptz[])
  ON CONFLICT (reference) DO NOTHING
  RETURNING account_id, amount
), d AS (
  SELECT account_id, sum(amount)::bigint AS total, count(*)::int AS n FROM inserted GROUP BY account_id
)
UPDATE accounts a SET unbilled_usage = a.unbilled_usage + d.total, updated_at = now()
FROM d
WHERE a.id = d.account_id
RETURNING a.id, a.unbilled_usage::text AS unbilled_usage, d.total::text AS added, d.n AS cdrs`;

/** Applies a batch of postpaid CDRs in one transaction (see the top of this file). */
export async function applyUsageBatch(db: Pick<Db, "pool">, cdrs: UsageCdr[]): Promise<UsageResult> {
  if (cdrs.length === 0) return { applied: [], accounts: [], refused: [] };
  return withAccountsLocked<LockedUsageAccount, UsageResult>(
    db,
    LOCK_SQL,
    cdrs.map((c) => c.accountId),
    async (client, locked) => {
      const { accepted, refused } = screenUsageCdrs(cdrs, locked);
      const result: UsageResult = { applied: [], accounts: [], refused };
      const usage = new Map([...locked.values()].map((a) => [a.id, BigInt(a.unbilled_usage)]));
      if (accepted.length > 0) {
        const c = usageColumns(accepted, new Map([...locked.values()].map((a) => [a.id, a.client_id])));
        const { rows } = await client.query<{ id: string; unbilled_usage: string; added: string; cdrs: number }>(
          APPLY_SQL,
          [
            c.accountIds,
            c.clientIds,
            c.campaignIds,
            c.messageIds,
            c.references,
            c.categories,
            c.destinations,
            c.segments,
            c.amounts,
            c.currencies,
            c.usedAt,
          ],
        );
        for (const r of rows) {
          usage.set(r.id, BigInt(r.unbilled_usage));
          result.applied.push({ accountId: r.id, amount: BigInt(r.added), cdrs: r.cdrs });
        }
      }
      result.accounts = [...usage].map(([accountId, unbilledUsage]) => ({ accountId, unbilledUsage }));
      return result;
    },
  );
}
