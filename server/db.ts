import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "@prisma/client";
import pg from "pg";

export type Db = { pool: pg.Pool; prisma: PrismaClient };

/**
 * One pg pool per process, shared by Prisma (through the adapter) and by the
 * hot paths that write in bulk with plain SQL (`unnest` arrays).
 *
 * `randomPageCost` (DATABASE_RANDOM_PAGE_COST, 0 = the server's) is set on every connection: the hot paths look up a
 * few hundred rows by key (`= ANY`, `FROM unnest … WHERE id = u.id`), and under PostgreSQL's default of 4 (a disk
 * seek) the planner reads a table of up to ~100k rows whole instead, as the per-message tables are in a new install
 * or after a purge: in a 60k-message run, 185 rows read per message by sequential scans, 2 at 1.1 (SSD or cached).
 */
export function createDb(opts: { url: string; poolSize: number; randomPageCost?: number }): Db {
  const cost = opts.randomPageCost ?? 0;
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolSize,
    ...(cost > 0 ? { options: `-c random_page_cost=${cost}` } : {}),
  });
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return { pool, prisma };
}

export async function closeDb(db: Db): Promise<void> {
  await db.prisma.$disconnect();
  await db.pool.end();
}
