import { finished } from "node:stream/promises";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import type { Db } from "../db";
import type { UsageCdr } from "../kafka/topics";
import { syncLowBalanceAlerts } from "./low-balance";

// Keyed batch deduction: a batch of CDRs becomes one Postgres transaction with
// one bulk ledger insert (COPY) and one debit per account. The ledger's unique
// reference (`cdr:<cdr id>`) is the idempotency key: a replayed CDR inserts no
// row, and accounts are debited only by the rows that were inserted, so a
// redelivered batch changes nothing. Money never passes through a JS number:
// bigints go to pg as decimal strings and int8 comes back as text.

export type DeductResult = {
  /** Per account, what this batch newly debited (positive minor units) and from how many CDRs. */
  applied: { accountId: string; amount: bigint; cdrs: number }[];
  /** The balance after the batch of every account the batch named, debited or not. */
  accounts: { accountId: string; balance: bigint }[];
  /** CDRs that were not charged: their account does not exist or bills in another currency. */
  refused: { cdr: UsageCdr; reason: string }[];
};

/** The ledger reference of a CDR's charge: unique, so the charge is made once. */
export function ledgerReference(cdrId: string): string {
  return `cdr:${cdrId}`;
}

/** The first CDR of each id: a batch can hold a redelivered copy. */
export function uniqueCdrs(cdrs: UsageCdr[]): UsageCdr[] {
  const seen = new Set<string>();
  return cdrs.filter((c) => {
    if (seen.has(c.cdrId)) return false;
    seen.add(c.cdrId);
    return true;
  });
}

/** The unnest() columns of the ledger insert; amounts are charges, so negative. */
export function ledgerColumns(cdrs: UsageCdr[]) {
  const accountIds: string[] = new Array(cdrs.length);
  const amounts: string[] = new Array(cdrs.length);
  const references: string[] = new Array(cdrs.length);
  const messageIds: string[] = new Array(cdrs.length);
  const createdAt: string[] = new Array(cdrs.length);
  const campaignIds: (string | null)[] = new Array(cdrs.length);
  cdrs.forEach((c, i) => {
    accountIds[i] = c.accountId;
    amounts[i] = (-c.amount).toString();
    references[i] = ledgerReference(c.cdrId);
    messageIds[i] = c.messageId;
    createdAt[i] = c.at;
    campaignIds[i] = c.campaignId;
  });
  return { accountIds, amounts, references, messageIds, createdAt, campaignIds };
}

/** COPY text format: backslash, tab and line breaks escaped; `\N` is null. */
function copyField(value: string | null): string {
  if (value === null) return "\\N";
  return /[\\\t\n\r]/.test(value)
    ? value.replace(/[\\\t\n\r]/g, (ch) => ({ "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" })[ch]!)
    : value;
}

/** The CDRs as the rows of LEDGER_COPY_SQL, in COPY's text format. */
export function ledgerCopyText(cdrs: UsageCdr[]): string {
  let text = "";
  for (const c of cdrs) {
    // The id is escaped once, for its reference (whose prefix needs no escaping) and, the usual case, the message id it equals.
    const id = copyField(c.cdrId);
    const messageId = c.messageId === c.cdrId ? id : copyField(c.messageId);
    text += `${copyField(c.accountId)}\tCHARGE\t${-c.amount}\t${ledgerReference(id)}\t${messageId}\t${c.at}\t${copyField(c.campaignId)}\n`;
  }
  return text;
}

const LEDGER_COPY_SQL =
  "COPY ledger_entries (account_id, type, amount, reference, message_id, created_at, campaign_id) FROM STDIN";

/** Per account: the sum of its CDRs (exact, bigint) and how many there are. */
export function totalsByAccount(cdrs: UsageCdr[]): Map<string, { amount: bigint; cdrs: number }> {
  const totals = new Map<string, { amount: bigint; cdrs: number }>();
  for (const c of cdrs) {
    const t = totals.get(c.accountId);
    if (t) {
      t.amount += c.amount;
      t.cdrs++;
    } else totals.set(c.accountId, { amount: c.amount, cdrs: 1 });
  }
  return totals;
}

/** alert_changes: the debit moved the account across its low-balance threshold (or its mark is stale). */
type DebitRow = { id: string; balance: string; debited: string; cdrs: number; alert_changes: boolean };

const DEBITED_COLUMNS = `a.id, a.balance::text AS balance,
  (a.low_balance_threshold > 0 AND a.balance <= a.low_balance_threshold) <> (a.low_balance_alerted_at IS NOT NULL)
    AS alert_changes`;

// The accounts are locked by this update, in id order where the plan allows;
// two batches that still meet in another order (the low and the high lane
// debiting one account) deadlock, and the one Postgres aborts is retried.
const DEBIT_SQL = `
UPDATE accounts a SET balance = a.balance - d.total, updated_at = now()
FROM (SELECT * FROM unnest($1::text[], $2::bigint[], $3::int[]) AS u(id, total, n) ORDER BY id) AS d
WHERE a.id = d.id
RETURNING ${DEBITED_COLUMNS}, d.total::text AS debited, d.n AS cdrs`;

// A batch that replays CDRs already in the ledger: the insert skips them
// (ON CONFLICT) and each account is debited by the sum of the rows this
// statement did insert (RETURNING of the insert), so a replay debits nothing.
const DEDUCT_SKIPPING_APPLIED_SQL = `
WITH inserted AS (
  INSERT INTO ledger_entries (account_id, type, amount, reference, message_id, created_at, campaign_id)
  SELECT account_id, 'CHARGE', amount, reference, message_id, created_at, campaign_id
  FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::timestamptz[], $6::text[])
       AS t(account_id, amount, reference, message_id, created_at, campaign_id)
  ON CONFLICT (reference) DO NOTHING
  RETURNING account_id, amount
), d AS (
  SELECT account_id, sum(amount)::bigint AS total, count(*)::int AS n FROM inserted GROUP BY account_id
)
UPDATE accounts a SET balance = a.balance + d.total, updated_at = now()
FROM d
WHERE a.id = d.account_id
RETURNING ${DEBITED_COLUMNS}, (-d.total)::text AS debited, d.n AS cdrs`;
const UNIQUE_VIOLATION = "23505";
const FOREIGN_KEY_VIOLATION = "23503";

/**
 * Almost every batch is new: COPY inserts it (Postgres's cheapest bulk path,
 * heap pages filled in bulk) and the accounts are debited by the batch's
 * totals. A replayed CDR makes the COPY fail on the unique reference; the
 * batch then goes again through DEDUCT_SKIPPING_APPLIED_SQL.
 */
async function insertAndDebit(client: pg.PoolClient, charged: UsageCdr[]): Promise<DebitRow[]> {
  await client.query("SAVEPOINT fresh");
  try {
    const copy = client.query(copyFrom(LEDGER_COPY_SQL));
    copy.end(ledgerCopyText(charged));
    await finished(copy);
  } catch (err) {
    if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
    await client.query("ROLLBACK TO SAVEPOINT fresh");
    const c = ledgerColumns(charged);
    const params = [c.accountIds, c.amounts, c.references, c.messageIds, c.createdAt, c.campaignIds];
    return (await client.query<DebitRow>(DEDUCT_SKIPPING_APPLIED_SQL, params)).rows;
  }
  const totals = totalsByAccount(charged);
  const ids = [...totals.keys()];
  const { rows } = await client.query<DebitRow>(DEBIT_SQL, [
    ids,
    ids.map((id) => totals.get(id)!.amount.toString()),
    ids.map((id) => totals.get(id)!.cdrs),
  ]);
  return rows;
}

// An account's currency never changes: each process looks it up once.
const currencies = new Map<string, string>();
const MAX_CACHED_CURRENCIES = 500_000;

async function currenciesOf(client: pg.PoolClient, accountIds: string[]): Promise<Map<string, string>> {
  const missing = accountIds.filter((id) => !currencies.has(id));
  if (missing.length === 0) return currencies;
  const { rows } = await client.query<{ id: string; currency: string }>(
    "SELECT id, currency FROM accounts WHERE id = ANY($1::text[])",
    [missing],
  );
  if (currencies.size + rows.length > MAX_CACHED_CURRENCIES) currencies.clear();
  for (const r of rows) currencies.set(r.id, r.currency);
  return currencies;
}

/**
 * Debits a batch of CDRs in one transaction (see the top of this file).
 * Each account is touched once: its debit (which locks it) returns its new
 * balance and whether it crossed its low-balance threshold, and only those
 * that crossed go through the alert statement.
 */
export async function deductBatch(db: Pick<Db, "pool">, cdrs: UsageCdr[]): Promise<DeductResult> {
  const result: DeductResult = { applied: [], accounts: [], refused: [] };
  if (cdrs.length === 0) return result;
  const accountIds = [...new Set(cdrs.map((c) => c.accountId))];
  const client = await db.pool.connect();
  let broken: Error | undefined;
  try {
    const known = await currenciesOf(client, accountIds);
    const charged: UsageCdr[] = [];
    for (const cdr of uniqueCdrs(cdrs)) {
      const currency = known.get(cdr.accountId);
      if (!currency) result.refused.push({ cdr, reason: `unknown account ${cdr.accountId}` });
      else if (currency !== cdr.currency)
        result.refused.push({ cdr, reason: `account ${cdr.accountId} bills in ${currency}, not ${cdr.currency}` });
      else charged.push(cdr);
    }
    if (charged.length === 0) return result;
    await client.query("BEGIN");
    const rows = await insertAndDebit(client, charged);
    const balances = new Map(rows.map((r) => [r.id, BigInt(r.balance)]));
    for (const r of rows) result.applied.push({ accountId: r.id, amount: BigInt(r.debited), cdrs: r.cdrs });
    // Accounts whose every CDR was a replay were not debited; their settled balance is refreshed all the same.
    const untouched = [...new Set(charged.map((c) => c.accountId))].filter((id) => !balances.has(id));
    if (untouched.length > 0) {
      const { rows: current } = await client.query<{ id: string; balance: string }>(
        "SELECT id, balance::text AS balance FROM accounts WHERE id = ANY($1::text[])",
        [untouched],
      );
      for (const a of current) balances.set(a.id, BigInt(a.balance));
    }
    // Accounts that fell to their low-balance threshold alert with this debit, in its transaction.
    await syncLowBalanceAlerts(
      client,
      rows.filter((r) => r.alert_changes).map((r) => r.id),
    );
    await client.query("COMMIT");
    result.accounts = [...balances].map(([accountId, balance]) => ({ accountId, balance }));
    return result;
  } catch (err) {
    // An account deleted since its currency was cached (possible only while it has no ledger rows): the ledger's
    // account check refused the batch; looked up again on the retry, it is refused as unknown.
    if ((err as { code?: string }).code === FOREIGN_KEY_VIOLATION) for (const id of accountIds) currencies.delete(id);
    // A connection that cannot even roll back is dropped, not returned to the pool.
    broken = await client.query("ROLLBACK").then(
      () => undefined,
      (e: Error) => e,
    );
    throw err;
  } finally {
    client.release(broken);
  }
}
