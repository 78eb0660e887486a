import { randomUUID } from "node:crypto";
import type { Prisma } from "@prisma/client";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { moveAvailable } from "../billing/balance-gate";
import type { Db } from "../db";
import { AppError } from "../errors";
import type { Period } from "./period";

export type InvoiceDeps = { db: Db; redis: Redis; namespace: string; log?: Logger };

export type GenerateResult = {
  periodStart: Date;
  periodEnd: Date;
  invoiceCount: number;
  /** Σ invoice totals per currency, minor units. */
  totals: { currency: string; total: bigint; invoices: number }[];
};

// Postpaid accounts looked at per query: a run never holds every account in memory.
const ACCOUNT_PAGE = 500;

/**
 * Invoices every postpaid account's unbilled usage up to `periodEnd` under the
 * period starting at `periodStart` (one invoice per account and period; the
 * unique (account, period_start) index and the check under the account lock
 * make a re-run a no-op). An account with no unbilled usage gets no invoice:
 * a zero invoice would say nothing and would use up an invoice number.
 *
 * Usage that arrives late (used_at inside an already invoiced period) stays
 * unbilled and goes on the account's next invoice, since an invoice takes
 * everything before its periodEnd that no earlier invoice took.
 */
export async function generateInvoices(
  deps: InvoiceDeps,
  period: Period,
  opts: { isStopping?: () => boolean } = {},
): Promise<GenerateResult> {
  if (period.periodEnd <= period.periodStart) throw new AppError("BAD_REQUEST", "The period ends before it starts");
  const totals = new Map<string, { total: bigint; invoices: number }>();
  let invoiceCount = 0;
  let cursor = "";
  for (;;) {
    if (opts.isStopping?.()) break;
    // Only accounts with something to invoice and no invoice for the period
    // yet; both are checked again under the lock.
    const { rows } = await deps.db.pool.query<{ id: string }>(
      `SELECT a.id FROM accounts a JOIN clients c ON c.id = a.client_id
       WHERE c.billing_type = 'POSTPAID' AND a.id > $1
         AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.account_id = a.id AND i.period_start = $2)
         AND EXISTS (SELECT 1 FROM usage_records u
                     WHERE u.account_id = a.id AND u.invoice_id IS NULL AND u.used_at < $3)
       ORDER BY a.id LIMIT $4`,
      [cursor, period.periodStart, period.periodEnd, ACCOUNT_PAGE],
    );
    for (const { id } of rows) {
      if (opts.isStopping?.()) break;
      const invoice = await invoiceAccount(deps, id, period);
      if (!invoice) continue;
      invoiceCount++;
      const sum = totals.get(invoice.currency) ?? { total: 0n, invoices: 0 };
      totals.set(invoice.currency, { total: sum.total + invoice.total, invoices: sum.invoices + 1 });
    }
    if (rows.length < ACCOUNT_PAGE) break;
    cursor = rows[rows.length - 1]!.id;
  }
  return {
    ...period,
    invoiceCount,
    totals: [...totals]
      .map(([currency, t]) => ({ currency, ...t }))
      .sort((a, b) => a.currency.localeCompare(b.currency)),
  };
}

/**
 * One account's invoice in one transaction: lock the account, stamp its
 * unbilled rows before periodEnd with the new invoice and aggregate exactly
 * the rows stamped (one statement, so lines, total and stamped rows cannot
 * disagree), take the total off unbilled usage. Then, after commit, give the
 * same amount back to the account's credit headroom in Redis. Null when there
 * is nothing to invoice or the period is already invoiced.
 */
export async function invoiceAccount(
  deps: InvoiceDeps,
  accountId: string,
  period: Period,
): Promise<{ id: string; currency: string; total: bigint } | null> {
  const client = await deps.db.pool.connect();
  let invoice: { id: string; currency: string; total: bigint } | null = null;
  try {
    await client.query("BEGIN");
    // Every invoicing run and the postpaid usage writer (which increments
    // unbilled_usage) serialise on this row: the rows seen below are the
    // rows unbilled_usage counts.
    const { rows: accounts } = await client.query<{ client_id: string; currency: string }>(
      "SELECT client_id, currency FROM accounts WHERE id = $1 FOR UPDATE",
      [accountId],
    );
    const account = accounts[0];
    const { rows: state } = await client.query<{ invoiced: boolean; has_usage: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM invoices WHERE account_id = $1 AND period_start = $2) AS invoiced,
              EXISTS (SELECT 1 FROM usage_records WHERE account_id = $1 AND invoice_id IS NULL AND used_at < $3) AS has_usage`,
      [accountId, period.periodStart, period.periodEnd],
    );
    // Checked before inserting: a rolled-back insert would leave a gap in the invoice numbers.
    if (!account || state[0]!.invoiced || !state[0]!.has_usage) {
      await client.query("ROLLBACK");
      return null;
    }
    const id = randomUUID();
    await client.query(
      `INSERT INTO invoices (id, client_id, account_id, period_start, period_end, currency, total, message_count, segment_count)
       VALUES ($1, $2, $3, $4, $5, $6, 0, 0, 0)`,
      [id, account.client_id, accountId, period.periodStart, period.periodEnd, account.currency],
    );
    // messages counts charged messages (a refund row is negative and only
    // lowers the amount); segments and amount sum every row, refunds included.
    const { rows: sums } = await client.query<{
      messages: string;
      segments: string;
      total: string;
      foreign_rows: string;
    }>(
      `WITH stamped AS (
         UPDATE usage_records SET invoice_id = $1
         WHERE account_id = $2 AND invoice_id IS NULL AND used_at < $3
         RETURNING category, destination, segments, amount, currency
       ), lines AS (
         INSERT INTO invoice_lines (id, invoice_id, category, destination, messages, segments, amount)
         SELECT gen_random_uuid()::text, $1, category, destination,
                count(*) FILTER (WHERE amount > 0), sum(segments), sum(amount)
         FROM stamped GROUP BY category, destination
         RETURNING messages, segments, amount
       )
       SELECT coalesce(sum(messages), 0)::text AS messages,
              coalesce(sum(segments), 0)::text AS segments,
              coalesce(sum(amount), 0)::text AS total,
              (SELECT count(*) FROM stamped WHERE currency <> $4)::text AS foreign_rows
       FROM lines`,
      [id, accountId, period.periodEnd, account.currency],
    );
    const sum = sums[0]!;
    // Lines carry no currency: a row priced in another currency cannot be added up.
    if (sum.foreign_rows !== "0")
      throw new Error(`account ${accountId} has ${sum.foreign_rows} usage rows not in ${account.currency}`);
    const total = BigInt(sum.total);
    await client.query("UPDATE invoices SET total = $2, message_count = $3, segment_count = $4 WHERE id = $1", [
      id,
      sum.total,
      Number(sum.messages),
      Number(sum.segments),
    ]);
    await client.query(
      "UPDATE accounts SET unbilled_usage = unbilled_usage - $2::bigint, updated_at = now() WHERE id = $1",
      [accountId, sum.total],
    );
    await client.query("COMMIT");
    invoice = { id, currency: account.currency, total };
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
  // The invoiced amount is no longer unbilled usage, so it no longer counts
  // against the credit limit. A crash before this leaves the headroom short
  // (the safe side) until Redis is next rebuilt from Postgres.
  await moveAvailable(deps.redis, deps.namespace, accountId, invoice.total);
  deps.log?.info(
    { accountId, invoiceId: invoice.id, total: invoice.total.toString(), periodStart: period.periodStart },
    "invoice generated",
  );
  return invoice;
}

export async function listInvoices(db: Db, opts: { clientId?: string | null; cursor?: string | null; limit: number }) {
  const where: Prisma.InvoiceWhereInput = opts.clientId ? { clientId: opts.clientId } : {};
  const items = await db.prisma.invoice.findMany({
    where,
    take: opts.limit + 1,
    ...(opts.cursor ? { cursor: { id: opts.cursor }, skip: 1 } : {}),
    orderBy: [{ periodStart: "desc" }, { number: "desc" }],
    include: { client: { select: { id: true, name: true } } },
  });
  const hasMore = items.length > opts.limit;
  const page = hasMore ? items.slice(0, opts.limit) : items;
  return { items: page, nextCursor: hasMore ? page[page.length - 1]!.id : null };
}

export async function getInvoice(db: Db, id: string) {
  const invoice = await db.prisma.invoice.findUnique({
    where: { id },
    include: {
      client: { select: { id: true, name: true } },
      lines: { orderBy: [{ category: "asc" }, { destination: "asc" }] },
    },
  });
  if (!invoice) throw new AppError("NOT_FOUND", "Invoice not found");
  return invoice;
}
