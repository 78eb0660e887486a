import type { Logger } from "pino";
import type { Db } from "../db";
import type { VolleyProducer } from "../kafka/client";
import { billingEventV1, TOPICS, type BillingEventWire } from "../kafka/topics";

// The billing_events outbox → the billing-events topic. Rows are written in
// the transactions that moved money (low-balance.ts); this sends them in id
// order and marks them published. At least once: a crash between the send
// and the mark sends the batch again, and consumers dedupe on `eventId`.

export const PUBLISH_BATCH = 500;

// One publisher at a time (any number of prepaid-manager instances run the
// loop), so events leave in id order; a transaction-scoped lock is released
// by the commit, or by Postgres if the process dies.
const PUBLISHER_LOCK = "hashtext('volley:billing-events-publisher')";

export type PublishDeps = { db: Pick<Db, "pool">; producer: VolleyProducer; topicPrefix: string; log: Logger };

/** Publishes up to `batchSize` unpublished events; returns how many it handled (0: nothing to do or another instance is at it). */
export async function publishBillingEvents(deps: PublishDeps, batchSize = PUBLISH_BATCH): Promise<number> {
  const client = await deps.db.pool.connect();
  let broken: Error | undefined;
  try {
    await client.query("BEGIN");
    const { rows: lock } = await client.query<{ locked: boolean }>(
      `SELECT pg_try_advisory_xact_lock(${PUBLISHER_LOCK}) AS locked`,
    );
    if (!lock[0]?.locked) {
      await client.query("COMMIT");
      return 0;
    }
    const { rows } = await client.query<{ id: string; account_id: string; payload: unknown }>(
      `SELECT id::text AS id, account_id, payload FROM billing_events
       WHERE published_at IS NULL ORDER BY id LIMIT $1`,
      [batchSize],
    );
    const records: { key: string; value: string }[] = [];
    for (const row of rows) {
      const parsed = billingEventV1.safeParse(row.payload);
      // Our own rows: a bad one is a bug to look at, not a reason to hold up every later event.
      if (!parsed.success)
        deps.log.error({ eventId: row.id, issues: parsed.error.issues }, "unpublishable billing event");
      else records.push({ key: row.account_id, value: JSON.stringify(row.payload as BillingEventWire) });
    }
    await deps.producer.send(deps.topicPrefix + TOPICS.billingEvents.name, records);
    if (rows.length > 0)
      await client.query("UPDATE billing_events SET published_at = now() WHERE id = ANY($1::bigint[])", [
        rows.map((r) => r.id),
      ]);
    await client.query("COMMIT");
    return rows.length;
  } catch (err) {
    broken = await client.query("ROLLBACK").then(
      () => undefined,
      (e: Error) => e,
    );
    throw err;
  } finally {
    client.release(broken);
  }
}

/** An account's billing events, newest first, with the figures the console shows. */
export async function listBillingEvents(
  db: Pick<Db, "prisma">,
  opts: { accountId: string; cursor?: string | null; limit: number },
) {
  const rows = await db.prisma.billingEvent.findMany({
    where: { accountId: opts.accountId },
    orderBy: { id: "desc" },
    take: opts.limit + 1,
    ...(opts.cursor ? { cursor: { id: BigInt(opts.cursor) }, skip: 1 } : {}),
  });
  const hasMore = rows.length > opts.limit;
  const page = hasMore ? rows.slice(0, opts.limit) : rows;
  return {
    items: page.map((row) => {
      const parsed = billingEventV1.safeParse(row.payload);
      return {
        id: row.id.toString(),
        type: row.type,
        createdAt: row.createdAt,
        publishedAt: row.publishedAt,
        balance: parsed.success ? parsed.data.balance : null,
        threshold: parsed.success ? parsed.data.threshold : null,
        currency: parsed.success ? parsed.data.currency : null,
      };
    }),
    nextCursor: hasMore ? page[page.length - 1]!.id.toString() : null,
  };
}
