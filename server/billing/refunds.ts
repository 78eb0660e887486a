import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { PoolClient } from "pg";
import type { Db } from "../db";
import type { ConsumedRecord, Rejected } from "../kafka/consumer";
import { TransientError } from "../kafka/errors";
import { handleEachItem } from "../kafka/packed";
import { startFinalStatusConsumer } from "../messages/final-statuses";
import { recordByMessageId, type MessageStatusEvent, type MessageStatusValue } from "../kafka/topics";
import { FINAL_STATUSES } from "../messages/status";
import { metrics } from "../observability/metrics";
import type { StartedWorker, WorkerDeps } from "../worker/run-worker";
import { moveAvailable, pendingKey, readyKey } from "./balance-gate";
import { refreshSettled } from "./deduction-worker";
import { syncLowBalanceAlerts } from "./low-balance";

// Refunds: a message that finally fails (UNDELIVERABLE, EXPIRED, FAILED,
// REJECTED) is refunded exactly once if it was charged and its client has
// refund_on_failure. The refund's reference `refund:<message id>` is unique
// in its table, so a replayed status event (or a redelivered batch) refunds
// nothing more; money moves only by the rows a statement actually inserted.
//
// - Prepaid: the charge is the ledger's CHARGE `cdr:<message id>`; the refund
//   is a REFUND row of the opposite amount and the account is credited by it,
//   in one transaction, then the gate's available balance moves too.
// - Postpaid: the charge is the usage row `cdr:<message id>`; the refund is a
//   negative usage row `refund:<message id>` (segments 0: the message did use
//   the carrier, only the money goes back, so invoices keep counting it once)
//   and unbilled usage drops by the amount. An original already invoiced stays
//   on its invoice; the refund row is unbilled and credited on the next one.
// - Not charged yet, but the charge is in flight (the gate's reservation is
//   still pending in Redis): the batch is retried later, after everything
//   else in it is refunded. Neither charged nor pending: nothing to refund
//   (a validation or INSUFFICIENT_BALANCE rejection, say).
// - The pending check needs the message's account: from the event's content
//   or the status writer's row. A failure that has neither (no content, row
//   not written yet) and whose charge is not in Postgres yet is taken as not
//   charged; delivery stages report only after the validator's ACCEPTED
//   event (with content) on the same partition, so the row is normally there.

export const FAILURE_STATUSES: ReadonlySet<MessageStatusValue> = new Set([
  "UNDELIVERABLE",
  "EXPIRED",
  "FAILED",
  "REJECTED",
]);
const FINAL: ReadonlySet<unknown> = new Set(FINAL_STATUSES);

export class RefundsInFlight extends TransientError {}

export type RefundDeps = { db: Pick<Db, "pool">; redis: Redis; namespace: string; log: Logger };

type Failure = { messageId: string; reason: string; at: string; clientId: string | null };

export type RefundResult = {
  /** Per account, what this batch newly credited (prepaid) or took off unbilled usage (postpaid, negative). */
  prepaid: { accountId: string; amount: bigint; refunds: number }[];
  postpaid: { accountId: string; amount: bigint; refunds: number }[];
  /** Failed messages whose charge is still on its way to Postgres. */
  inFlight: string[];
};

/**
 * Handles one batch of message-status events: refunds what finally failed
 * (see the top of this file). Throws RefundsInFlight after refunding the rest
 * when a charge is still in flight, or when Redis lost the balances and a
 * pending charge cannot be ruled out: the consumer retries the batch.
 */
export async function refundFailedMessages(
  deps: RefundDeps,
  records: ConsumedRecord<MessageStatusEvent>[],
): Promise<Rejected<MessageStatusEvent>[]> {
  const result = await refundFailures(deps, firstFinalFailures(records.map((r) => r.value)));
  if (result.inFlight.length > 0) {
    throw new RefundsInFlight(`${result.inFlight.length} failed messages are not charged yet (charge in flight)`);
  }
  return [];
}

/**
 * The failures to look at: per message the first final status wins, as in
 * the status writer, so a failure after a DELIVERED in the same batch is not one.
 */
export function firstFinalFailures(events: MessageStatusEvent[]): Failure[] {
  const decided = new Set<string>();
  const failures: Failure[] = [];
  for (const e of events) {
    if (!FINAL.has(e.status) || decided.has(e.messageId)) continue;
    decided.add(e.messageId);
    if (FAILURE_STATUSES.has(e.status)) {
      failures.push({
        messageId: e.messageId,
        reason: e.reason ? `${e.status} ${e.reason}` : e.status,
        at: e.at,
        clientId: e.content?.clientId ?? e.clientId ?? null,
      });
    }
  }
  return failures;
}

export async function refundFailures(deps: RefundDeps, candidates: Failure[]): Promise<RefundResult> {
  const result: RefundResult = { prepaid: [], postpaid: [], inFlight: [] };
  if (candidates.length === 0) return result;
  const { pool } = deps.db;

  // Whom each message belongs to: its first status event carries the client;
  // later ones (delivery receipts) do not, the status writer's row does. A
  // message already final otherwise there (DELIVERED first) is not refunded.
  const { rows: stored } = await pool.query<{ id: string; client_id: string; status: string }>(
    "SELECT id, client_id, status FROM messages WHERE id = ANY($1::text[])",
    [candidates.map((c) => c.messageId)],
  );
  const storedById = new Map(stored.map((r) => [r.id, r]));
  let failures = candidates.filter((c) => {
    const s = storedById.get(c.messageId);
    return !s || !FINAL.has(s.status) || FAILURE_STATUSES.has(s.status as MessageStatusValue);
  });
  const clientOf = (f: Failure) => f.clientId ?? storedById.get(f.messageId)?.client_id ?? null;
  const clientIds = [...new Set(failures.map(clientOf).filter((id): id is string => id !== null))];
  const { rows: clients } = await pool.query<{
    id: string;
    refund_on_failure: boolean;
    account_id: string | null;
  }>(
    `SELECT c.id, c.refund_on_failure,
            (SELECT a.id FROM accounts a WHERE a.client_id = c.id ORDER BY a.created_at, a.id LIMIT 1) AS account_id
     FROM clients c WHERE c.id = ANY($1::text[])`,
    [clientIds],
  );
  const clientById = new Map(clients.map((c) => [c.id, c]));
  failures = failures.filter((f) => {
    const id = clientOf(f);
    return id === null || clientById.get(id)?.refund_on_failure !== false;
  });
  if (failures.length === 0) return result;

  // Redis before the ledger: the deduction service commits a charge before it
  // drops the reservation, so a message pending neither now nor in the ledger
  // read after it was never charged (no window where it is in neither).
  const pendingIds = new Set<string>();
  const byAccount = new Map<string, string[]>();
  const gated = new Set<string>();
  for (const f of failures) {
    const client = clientById.get(clientOf(f) ?? "");
    const accountId = client?.account_id;
    if (!accountId) continue;
    // Both lanes reserve through the gate (prepaid: balance, postpaid: credit headroom).
    gated.add(f.messageId);
    byAccount.set(accountId, [...(byAccount.get(accountId) ?? []), f.messageId]);
  }
  const pipeline = deps.redis.pipeline().exists(readyKey(deps.namespace));
  const accounts = [...byAccount];
  for (const [accountId, ids] of accounts) pipeline.hmget(pendingKey(accountId), ...ids);
  const replies = (await pipeline.exec()) ?? [];
  for (const [err] of replies) if (err) throw err;
  const isReady = replies[0]?.[1] === 1;
  accounts.forEach(([, ids], i) => {
    const amounts = replies[i + 1]?.[1] as (string | null)[];
    ids.forEach((id, k) => {
      if (amounts[k] != null) pendingIds.add(id);
    });
  });

  const references = failures.map((f) => `cdr:${f.messageId}`);
  const [{ rows: charges }, { rows: usage }] = await Promise.all([
    pool.query<{ message_id: string; account_id: string; refund_on_failure: boolean }>(
      `SELECT substr(l.reference, 5) AS message_id, l.account_id, c.refund_on_failure
       FROM ledger_entries l JOIN accounts a ON a.id = l.account_id JOIN clients c ON c.id = a.client_id
       WHERE l.reference = ANY($1::text[]) AND l.type = 'CHARGE'`,
      [references],
    ),
    pool.query<{ message_id: string; account_id: string; refund_on_failure: boolean }>(
      `SELECT substr(u.reference, 5) AS message_id, u.account_id, c.refund_on_failure
       FROM usage_records u JOIN clients c ON c.id = u.client_id
       WHERE u.reference = ANY($1::text[])`,
      [references],
    ),
  ]);
  const charged = new Set([...charges, ...usage].map((r) => r.message_id));
  const prepaid = charges.filter((r) => r.refund_on_failure);
  const postpaid = usage.filter((r) => r.refund_on_failure);
  for (const f of failures) {
    if (charged.has(f.messageId)) continue;
    // No ready marker: Redis lost the reservations, so "not pending" proves nothing until the rebuild.
    if (pendingIds.has(f.messageId) || (!isReady && gated.has(f.messageId))) result.inFlight.push(f.messageId);
  }
  if (prepaid.length === 0 && postpaid.length === 0) return result;

  const failureById = new Map(failures.map((f) => [f.messageId, f]));
  const applied = await applyRefunds(
    pool,
    prepaid.map((r) => failureById.get(r.message_id)!),
    postpaid.map((r) => failureById.get(r.message_id)!),
    [...new Set([...prepaid, ...postpaid].map((r) => r.account_id))].sort(),
  );
  result.prepaid = applied.prepaid;
  result.postpaid = applied.postpaid;

  // After the commit, and only by what was inserted now: a refund whose
  // Redis move was lost to a crash leaves the gate short (the safe side,
  // see moveAvailable) rather than crediting twice on the replay.
  for (const a of applied.prepaid) await moveAvailable(deps.redis, deps.namespace, a.accountId, a.amount);
  for (const a of applied.postpaid) await moveAvailable(deps.redis, deps.namespace, a.accountId, -a.amount);
  await refreshSettled(deps.redis, applied.balances);
  metrics.refunds.labels("prepaid").inc(applied.prepaid.reduce((n, a) => n + a.refunds, 0));
  metrics.refunds.labels("postpaid").inc(applied.postpaid.reduce((n, a) => n + a.refunds, 0));
  deps.log.debug(
    { prepaid: applied.prepaid.length, postpaid: applied.postpaid.length, inFlight: result.inFlight.length },
    "refunds applied",
  );
  return result;
}

// The refund of each charge, skipping references already refunded; each
// account is credited once by the sum of the rows this statement inserted.
const PREPAID_REFUND_SQL = `
WITH f AS (
  SELECT * FROM unnest($1::text[], $2::text[]) AS t(message_id, reason)
), inserted AS (
  INSERT INTO ledger_entries (account_id, type, amount, reference, message_id, campaign_id, reason)
  SELECT l.account_id, 'REFUND', -l.amount, 'refund:' || f.message_id, f.message_id, l.campaign_id, f.reason
  FROM f JOIN ledger_entries l ON l.reference = 'cdr:' || f.message_id AND l.type = 'CHARGE'
  ON CONFLICT (reference) DO NOTHING
  RETURNING account_id, amount
), d AS (
  SELECT account_id, sum(amount)::bigint AS total, count(*)::int AS n FROM inserted GROUP BY account_id
)
UPDATE accounts a SET balance = a.balance + d.total, updated_at = now()
FROM d
WHERE a.id = d.account_id
RETURNING a.id, a.balance::text AS balance, d.total::text AS credited, d.n AS refunds`;

// Same for postpaid usage: a negative row, unbilled (invoice_id null) even
// when the original is already on an invoice, dated when the message failed.
const POSTPAID_REFUND_SQL = `
WITH f AS (
  SELECT * FROM unnest($1::text[], $2::timestamptz[]) AS t(message_id, at)
), inserted AS (
  INSERT INTO usage_records (account_id, client_id, campaign_id, message_id, reference, category, destination,
                             segments, amount, currency, used_at)
  SELECT u.account_id, u.client_id, u.campaign_id, u.message_id, 'refund:' || f.message_id, u.category, u.destination,
         0, -u.amount, u.currency, f.at
  FROM f JOIN usage_records u ON u.reference = 'cdr:' || f.message_id
  ON CONFLICT (reference) DO NOTHING
  RETURNING account_id, amount
), d AS (
  SELECT account_id, sum(amount)::bigint AS total, count(*)::int AS n FROM inserted GROUP BY account_id
)
UPDATE accounts a SET unbilled_usage = a.unbilled_usage + d.total, updated_at = now()
FROM d
WHERE a.id = d.account_id
RETURNING a.id, d.total::text AS credited, d.n AS refunds`;

/**
 * One transaction: accounts locked in id order (as deductBatch does, so the
 * two wait for each other instead of deadlocking), refund rows inserted,
 * balances moved, low-balance marks brought in line.
 */
async function applyRefunds(pool: Db["pool"], prepaid: Failure[], postpaid: Failure[], accountIds: string[]) {
  const client: PoolClient = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query("BEGIN");
    await client.query("SELECT id FROM accounts WHERE id = ANY($1::text[]) ORDER BY id FOR NO KEY UPDATE", [
      accountIds,
    ]);
    const out = {
      prepaid: [] as RefundResult["prepaid"],
      postpaid: [] as RefundResult["postpaid"],
      balances: [] as { accountId: string; balance: bigint }[],
    };
    if (prepaid.length > 0) {
      const { rows } = await client.query<{ id: string; balance: string; credited: string; refunds: number }>(
        PREPAID_REFUND_SQL,
        [prepaid.map((f) => f.messageId), prepaid.map((f) => f.reason)],
      );
      for (const r of rows) {
        out.prepaid.push({ accountId: r.id, amount: BigInt(r.credited), refunds: r.refunds });
        out.balances.push({ accountId: r.id, balance: BigInt(r.balance) });
      }
      await syncLowBalanceAlerts(
        client,
        rows.map((r) => r.id),
      );
    }
    if (postpaid.length > 0) {
      const { rows } = await client.query<{ id: string; credited: string; refunds: number }>(POSTPAID_REFUND_SQL, [
        postpaid.map((f) => f.messageId),
        postpaid.map((f) => f.at),
      ]);
      for (const r of rows) out.postpaid.push({ accountId: r.id, amount: BigInt(r.credited), refunds: r.refunds });
    }
    await client.query("COMMIT");
    return out;
  } catch (err) {
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

/**
 * The refunds worker: its own consumer group on message-status (beside the
 * status writer), so refunds neither wait for nor hold up the status writes.
 */
export async function startRefunds({ env, log, db, redis, kafka, producer }: WorkerDeps): Promise<StartedWorker> {
  const prefix = env.KAFKA_TOPIC_PREFIX;
  const consumer = await startFinalStatusConsumer({ env, log, kafka, producer }, "refunds", (records) =>
    handleEachItem(records, { item: recordByMessageId, wire: recordByMessageId }, (events) =>
      refundFailedMessages({ db, redis, log, namespace: prefix }, events),
    ),
  );
  return { stop: () => consumer.stop() };
}
