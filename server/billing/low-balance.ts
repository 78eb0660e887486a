import type { Prisma } from "@prisma/client";

// Low-balance alerts: one LOW_BALANCE event per crossing. An account whose
// settled balance is at or below its threshold (> 0; 0 = off) and that has no
// alert outstanding gets `low_balance_alerted_at` set and a billing_events
// outbox row; one that is above it again (top-up, refund, threshold lowered)
// has the mark cleared, so the next crossing alerts again. It runs inside the
// transaction that moved the balance: the alert and the money commit
// together, and the publisher (billing-events.ts) sends outbox rows later.

/** A pg client in a transaction, or a Prisma transaction through `prismaSql`. */
export type SqlRunner = {
  query<R extends Record<string, unknown>>(text: string, values: unknown[]): Promise<{ rows: R[] }>;
};

/** Lets a Prisma interactive transaction run the plain SQL helpers here. */
export function prismaSql(tx: Prisma.TransactionClient): SqlRunner {
  return {
    query: async <R extends Record<string, unknown>>(text: string, values: unknown[]) => ({
      rows: await tx.$queryRawUnsafe<R[]>(text, ...values),
    }),
  };
}

// One statement: flip the mark where the account crossed either way, then
// write an event for each account that crossed downwards. The event id is
// the outbox row's id (taken from its sequence first so that the payload can
// carry it); consumers dedupe on it, the publisher being at-least-once.
// Money goes into the payload as strings, like every envelope (billingEventV1).
const SYNC_SQL = `
WITH changed AS (
  UPDATE accounts a
  SET low_balance_alerted_at = CASE WHEN a.low_balance_alerted_at IS NULL THEN now() END
  WHERE a.id = ANY($1::text[])
    AND (
      (a.low_balance_threshold > 0 AND a.balance <= a.low_balance_threshold AND a.low_balance_alerted_at IS NULL)
      OR (NOT (a.low_balance_threshold > 0 AND a.balance <= a.low_balance_threshold)
          AND a.low_balance_alerted_at IS NOT NULL)
    )
  RETURNING a.id, a.client_id, a.currency, a.balance, a.low_balance_threshold, a.low_balance_alerted_at
), alerts AS (
  SELECT nextval(pg_get_serial_sequence('billing_events', 'id')) AS event_id, c.*
  FROM changed c
  WHERE c.low_balance_alerted_at IS NOT NULL
)
INSERT INTO billing_events (id, type, account_id, client_id, payload, created_at)
SELECT event_id, 'LOW_BALANCE', id, client_id,
       jsonb_build_object(
         'v', 1,
         'type', 'LOW_BALANCE',
         'eventId', event_id::text,
         'accountId', id,
         'clientId', client_id,
         'currency', currency,
         'balance', balance::text,
         'threshold', low_balance_threshold::text,
         'at', to_char(low_balance_alerted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
       ),
       low_balance_alerted_at
FROM alerts
RETURNING id::text AS id, account_id`;

/**
 * Sets or clears the low-balance mark of these accounts from their current
 * settled balance and writes a LOW_BALANCE outbox row per downward crossing.
 * Call it in the transaction that moved the balance (or the threshold), after
 * the move; the accounts should already be locked by it.
 */
export async function syncLowBalanceAlerts(
  client: SqlRunner,
  accountIds: string[],
): Promise<{ eventId: string; accountId: string }[]> {
  if (accountIds.length === 0) return [];
  const { rows } = await client.query<{ id: string; account_id: string }>(SYNC_SQL, [[...new Set(accountIds)]]);
  return rows.map((r) => ({ eventId: r.id, accountId: r.account_id }));
}
