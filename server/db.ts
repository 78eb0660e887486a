import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "@prisma/client";
import pg from "pg";

export type Db = { pool: pg.Pool; prisma: PrismaClient };

/**
 * One pg pool per process, shared by Prisma (through the adapter) and by the
 * hot paths that write in bulk with plain SQL (`unnest` arrays).
 */
export function createDb(opts: { url: string; poolSize: number }): Db {
  const pool = new pg.Pool({ connectionString: opts.url, max: opts.poolSize });
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return { pool, prisma };
}

export async function closeDb(db: Db): Promise<void> {
  await db.prisma.$disconnect();
  await db.pool.end();
}
