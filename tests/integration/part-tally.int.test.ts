import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { env } from "@/server/env";
import { deliveredPartsKey } from "@/server/delivery/keys";
import { markProduced, tallyParts, undecide } from "@/server/delivery/part-tally";
import { createRedis } from "@/server/redis";

// Deciding a message's final status from its parts' receipts (part-tally.ts) against the real Redis.

let redis: Redis;
const prefix = `it-tally-${randomUUID()}:`;

beforeAll(() => {
  redis = createRedis(env().REDIS_URL);
});

afterAll(async () => {
  const keys = await redis.keys(`*${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

const report = (messageId: string, partId: string, status: string, total = 1) => ({
  messageId,
  partId,
  status,
  fallbackTotal: total,
});
const tally = (...reports: ReturnType<typeof report>[]) => tallyParts(redis, prefix, reports, 60);

describe("part tally", () => {
  it("decides once every part is DELIVERED, or on the first failure, whatever comes after", async () => {
    const m = randomUUID();
    expect(await tally(report(m, "p1", "DELIVERED", 2), report(m, "p1", "DELIVERED", 2))).toEqual([false, false]);
    expect(await tally(report(m, "p2", "DELIVERED", 2))).toEqual([true]);
    const f = randomUUID();
    expect(await tally(report(f, "p1", "UNDELIV", 2), report(f, "p2", "DELIVERED", 2))).toEqual([true, false]);
    // A one-part message is decided by its receipt, once, and keeps no set of delivered parts.
    const one = randomUUID();
    expect(await tally(report(one, "p1", "DELIVERED"), report(one, "p1", "DELIVERED"))).toEqual([true, true]);
    markProduced(redis, prefix, [one]);
    await new Promise((r) => setTimeout(r, 100));
    expect(await tally(report(one, "p1", "DELIVERED"))).toEqual([false]);
    expect(await redis.exists(deliveredPartsKey(prefix, one))).toBe(0);
    expect(await redis.exists(deliveredPartsKey(prefix, m))).toBe(1);
  });

  it("decides again when the deciding receipt comes again before its final status was produced (its worker died)", async () => {
    const m = randomUUID();
    expect(await tally(report(m, "p1", "DELIVERED", 2), report(m, "p2", "DELIVERED", 2))).toEqual([false, true]);
    // The carrier resends what was never answered: the deciding part decides again, the other does not.
    expect(await tally(report(m, "p2", "DELIVERED", 2), report(m, "p1", "DELIVERED", 2))).toEqual([true, false]);
    const f = randomUUID();
    expect(await tally(report(f, "p1", "EXPIRED"))).toEqual([true]);
    expect(await tally(report(f, "p1", "EXPIRED"))).toEqual([true]);
    // Once its final status is produced, a resent receipt decides nothing more.
    markProduced(redis, prefix, [m]);
    await new Promise((r) => setTimeout(r, 100));
    expect(await tally(report(m, "p2", "DELIVERED", 2))).toEqual([false]);
    // Undecided (the status could not be produced): the next receipt decides afresh.
    await undecide(redis, prefix, [f]);
    expect(await tally(report(f, "p9", "UNDELIV"))).toEqual([true]);
    expect(await tally(report(f, "p1", "EXPIRED"))).toEqual([false]);
  });

  it("tallies a batch of thousands as it would tally the same receipts one at a time", async () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    // 400 messages of 1 to 3 parts; receipts for them in a shuffled order, some twice, a few failures.
    const reports: ReturnType<typeof report>[] = [];
    for (let k = 0; k < 400; k++) {
      const parts = 1 + random(3);
      for (let p = 1; p <= parts; p++) {
        const status = random(25) === 0 ? "UNDELIV" : "DELIVERED";
        reports.push(report(`m-${k}`, `p${p}`, status, parts));
        if (random(8) === 0) reports.push(report(`m-${k}`, `p${p}`, status, parts));
      }
    }
    for (let i = reports.length - 1; i > 0; i--) {
      const j = random(i + 1);
      [reports[i], reports[j]] = [reports[j]!, reports[i]!];
    }
    const run = randomUUID();
    const batched = await tallyParts(redis, `${prefix}batch-${run}:`, reports, 60);
    const alone: boolean[] = [];
    for (const r of reports) alone.push(...(await tallyParts(redis, `${prefix}alone-${run}:`, [r], 60)));
    expect(reports.length).toBeGreaterThan(1_000);
    expect(batched).toEqual(alone);
    // Every message is decided, a resent deciding receipt deciding it again (nothing was marked produced).
    const decided = new Set(reports.filter((_, i) => batched[i]).map((r) => r.messageId));
    expect(decided.size).toBe(400);
  });
});
