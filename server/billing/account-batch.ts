import type pg from "pg";
import type { Db } from "../db";

/**
 * Runs `work` in one Postgres transaction after locking the batch's accounts
 * with `lockSql` (which must select `… WHERE <account id> = ANY($1::text[])
 * ORDER BY <account id> FOR NO KEY UPDATE`). Locking in id order makes
 * batches that share accounts (two lanes' CDRs, a partition during a
 * rebalance) wait for each other instead of deadlocking. A connection that
 * cannot even roll back is dropped, not returned to the pool.
 */
export async function withAccountsLocked<Row extends { id: string }, T>(
  db: Pick<Db, "pool">,
  lockSql: string,
  accountIds: string[],
  work: (client: pg.PoolClient, locked: Map<string, Row>) => Promise<T>,
): Promise<T> {
  const client = await db.pool.connect();
  let broken: Error | undefined;
  try {
    await client.query("BEGIN");
    const { rows } = await client.query<Row>(lockSql, [[...new Set(accountIds)].sort()]);
    const result = await work(client, new Map(rows.map((r) => [r.id, r])));
    await client.query("COMMIT");
    return result;
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
