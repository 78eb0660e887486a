import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, closeDb, type Db } from "@/server/db";
import { env } from "@/server/env";

// createDb sets random_page_cost (DATABASE_RANDOM_PAGE_COST) on Volley's connections. With PostgreSQL's default of 4,
// the batch lookups of the hot paths (a few hundred keys out of a table of tens of thousands of rows, as the
// per-message tables hold in a new install) are planned as a read of the whole table.

const ROWS = 20_000;
const KEYS = 400;
let volley: Db;
let postgresDefault: Db;
let serverSetting: Db;

beforeAll(() => {
  volley = createDb({ url: env().DATABASE_URL, poolSize: 1, randomPageCost: env().DATABASE_RANDOM_PAGE_COST });
  postgresDefault = createDb({ url: env().DATABASE_URL, poolSize: 1, randomPageCost: 4 });
  serverSetting = createDb({ url: env().DATABASE_URL, poolSize: 1, randomPageCost: 0 });
});

afterAll(async () => {
  await Promise.all([closeDb(volley), closeDb(postgresDefault), closeDb(serverSetting)]);
});

const randomPageCost = async (db: Db) =>
  (await db.pool.query<{ random_page_cost: string }>("SHOW random_page_cost")).rows[0]!.random_page_cost;

/** The plan of the status writer's row lookup, on a fresh table shaped like messages, through this pool. */
async function planOfBatchLookup(db: Db): Promise<string> {
  const client = await db.pool.connect();
  try {
    await client.query(
      `CREATE TEMP TABLE planner_probe (id text COLLATE "C" PRIMARY KEY, status text NOT NULL, body text NOT NULL)`,
    );
    await client.query(
      `INSERT INTO planner_probe SELECT 'cmx9n7htv00071l7dgthnngx3-' || g, 'SUBMITTED', repeat('x', 120)
       FROM generate_series(1, $1::int) g`,
      [ROWS],
    );
    await client.query("ANALYZE planner_probe");
    const ids = Array.from({ length: KEYS }, (_, i) => `cmx9n7htv00071l7dgthnngx3-${1 + ((i * 37) % ROWS)}`);
    const { rows } = await client.query<{ "QUERY PLAN": string }>(
      "EXPLAIN SELECT id, status FROM planner_probe WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE",
      [ids],
    );
    return rows.map((r) => r["QUERY PLAN"]).join("\n");
  } finally {
    await client.query("DROP TABLE IF EXISTS planner_probe").catch(() => undefined);
    client.release();
  }
}

describe("Volley's database connections", () => {
  it("plan batch lookups by key through the index, where the server's default cost reads the whole table", async () => {
    expect(env().DATABASE_RANDOM_PAGE_COST).toBe(1.1);
    expect(await randomPageCost(volley)).toBe("1.1");
    expect(await planOfBatchLookup(volley)).toMatch(/Index Scan using planner_probe_pkey/);
    expect(await planOfBatchLookup(postgresDefault)).toMatch(/Seq Scan on planner_probe/);
  });

  it("keep the server's setting when told 0", async () => {
    const source = async (db: Db) =>
      (await db.pool.query<{ source: string }>("SELECT source FROM pg_settings WHERE name = 'random_page_cost'"))
        .rows[0]!.source;
    expect(await source(volley)).toBe("client");
    expect(await source(serverSetting)).not.toBe("client");
  });
});
