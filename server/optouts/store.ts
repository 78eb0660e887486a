import type { Redis } from "ioredis";
import type { Db } from "../db";

// Opt-outs live in Postgres (the record) and in Redis sets (what the
// validator checks, one SMISMEMBER per client per batch). A marker key says
// the sets are complete; if Redis lost them, the next check rebuilds them
// from Postgres before answering, so an opted-out number is never let through
// because of a cache loss.

export const GLOBAL_SCOPE = "global";
export const optOutSetKey = (scope: string) => `optout:${scope}`;
const SYNCED_KEY = "optout:synced";
const SYNC_LOCK_KEY = "optout:sync-lock";
const SYNC_PAGE = 10_000;

export async function addOptOut(db: Db, redis: Redis, msisdn: string, clientId: string | null): Promise<void> {
  const scope = clientId ?? GLOBAL_SCOPE;
  await db.pool.query(
    `INSERT INTO opt_outs (id, scope, client_id, msisdn) VALUES (gen_random_uuid()::text, $1, $2, $3)
     ON CONFLICT (scope, msisdn) DO NOTHING`,
    [scope, clientId, msisdn],
  );
  await redis.sadd(optOutSetKey(scope), msisdn);
}

export async function removeOptOut(db: Db, redis: Redis, msisdn: string, clientId: string | null): Promise<void> {
  const scope = clientId ?? GLOBAL_SCOPE;
  await db.pool.query("DELETE FROM opt_outs WHERE scope = $1 AND msisdn = $2", [scope, msisdn]);
  await redis.srem(optOutSetKey(scope), msisdn);
}

/** Copies every opt-out into Redis, a page at a time (cursor on id). */
export async function syncOptOutsToRedis(db: Db, redis: Redis): Promise<number> {
  let cursor = "";
  let total = 0;
  for (;;) {
    const { rows } = await db.pool.query<{ id: string; scope: string; msisdn: string }>(
      "SELECT id, scope, msisdn FROM opt_outs WHERE id > $1 ORDER BY id LIMIT $2",
      [cursor, SYNC_PAGE],
    );
    if (rows.length === 0) break;
    const pipeline = redis.pipeline();
    for (const r of rows) pipeline.sadd(optOutSetKey(r.scope), r.msisdn);
    await pipeline.exec();
    total += rows.length;
    cursor = rows[rows.length - 1]!.id;
  }
  await redis.set(SYNCED_KEY, new Date().toISOString());
  return total;
}

async function ensureSynced(db: Db, redis: Redis): Promise<void> {
  if (await redis.exists(SYNCED_KEY)) return;
  // One process rebuilds; the others wait for its marker.
  if (await redis.set(SYNC_LOCK_KEY, "1", "EX", 120, "NX")) {
    try {
      await syncOptOutsToRedis(db, redis);
    } finally {
      await redis.del(SYNC_LOCK_KEY);
    }
    return;
  }
  for (let i = 0; i < 600 && !(await redis.exists(SYNCED_KEY)); i++) await new Promise((r) => setTimeout(r, 100));
  if (!(await redis.exists(SYNCED_KEY))) throw new Error("opt-out sets are being rebuilt; retry");
}

/** The numbers (E.164) opted out globally or for this client. */
export async function findOptedOut(db: Db, redis: Redis, clientId: string, numbers: string[]): Promise<Set<string>> {
  if (numbers.length === 0) return new Set();
  await ensureSynced(db, redis);
  const [global, own] = await Promise.all([
    redis.smismember(optOutSetKey(GLOBAL_SCOPE), ...numbers),
    redis.smismember(optOutSetKey(clientId), ...numbers),
  ]);
  return new Set(numbers.filter((_, i) => global[i] === 1 || own[i] === 1));
}

export async function listOptOuts(
  db: Db,
  opts: {
    clientId?: string | null;
    scope?: typeof GLOBAL_SCOPE;
    msisdn?: string;
    cursor?: string | null;
    limit: number;
  },
) {
  const scope =
    opts.scope === GLOBAL_SCOPE ? { scope: GLOBAL_SCOPE } : opts.clientId ? { clientId: opts.clientId } : {};
  const items = await db.prisma.optOut.findMany({
    where: { ...scope, ...(opts.msisdn ? { msisdn: opts.msisdn } : {}) },
    orderBy: { id: "asc" },
    take: opts.limit + 1,
    ...(opts.cursor ? { cursor: { id: opts.cursor }, skip: 1 } : {}),
    include: { client: { select: { name: true } } },
  });
  const hasMore = items.length > opts.limit;
  const page = hasMore ? items.slice(0, opts.limit) : items;
  return { items: page, nextCursor: hasMore ? page[page.length - 1]!.id : null };
}
