import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDeps } from "./helpers";

// Every batch writer binds whole columns as arrays to one unnest() (patches/pg+*.patch builds their literals). What
// Postgres reads back must be exactly what was sent: quotes, backslashes, commas, braces, the word NULL, empty
// strings, real nulls, numbers and booleans.

let deps: Awaited<ReturnType<typeof createTestDeps>>;

beforeAll(async () => {
  deps = await createTestDeps();
});

afterAll(async () => {
  await deps.close();
});

async function roundTrip<T>(values: unknown[], type: string): Promise<T[]> {
  const { rows } = await deps.db.pool.query<{ v: T }>(
    `SELECT v FROM unnest($1::${type}[]) WITH ORDINALITY AS t(v, i) ORDER BY i`,
    [values],
  );
  return rows.map((r) => r.v);
}

describe("array parameters", () => {
  it("carry text columns through unnest unchanged", async () => {
    const texts = ["c1-1", "", "NULL", "null", 'say "hi"', "C:\\path\\", "a,b", "{x}", " lead", "trail ", "Grüße ✓"];
    expect(await roundTrip<string>(texts, "text")).toEqual(texts);
    expect(await roundTrip<string | null>(["a", null, undefined, "NULL", ""], "text")).toEqual([
      "a",
      null,
      null,
      "NULL",
      "",
    ]);
    const ids = Array.from({ length: 5_000 }, (_, i) => `camp-${i}`);
    expect(await roundTrip<string>(ids, "text")).toEqual(ids);
  });

  it("carry numbers, booleans and times", async () => {
    expect(await roundTrip<number | null>([1, -7, 0, null, 2_147_483_647], "int")).toEqual([
      1,
      -7,
      0,
      null,
      2_147_483_647,
    ]);
    expect(await roundTrip<boolean | null>([true, false, null], "bool")).toEqual([true, false, null]);
    const at = ["2026-12-04T10:00:00.123Z", null];
    const times = await roundTrip<Date | null>(at, "timestamptz");
    expect(times.map((t) => t?.toISOString() ?? null)).toEqual(at);
  });
});
