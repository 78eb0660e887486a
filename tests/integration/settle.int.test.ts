import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pendingKey, settleReservations } from "@/server/billing/balance-gate";
import { env } from "@/server/env";
import { createRedis } from "@/server/redis";

// Settling reservations (balance-gate.ts) against the real Redis: the ids
// travel newline-joined per account, a few hundred accounts per script call.

let redis: Redis;
const prefix = `it-settle-${randomUUID()}-`;
const accountIds: string[] = [];

beforeAll(() => {
  redis = createRedis(env().REDIS_URL);
});

afterAll(async () => {
  if (accountIds.length > 0) await redis.del(...accountIds.map(pendingKey));
  redis.disconnect();
});

async function reserve(accountId: string, ids: string[]) {
  accountIds.push(accountId);
  for (let i = 0; i < ids.length; i += 1_000) {
    await redis.hset(pendingKey(accountId), Object.fromEntries(ids.slice(i, i + 1_000).map((id) => [id, "5"])));
  }
}

describe("settleReservations", () => {
  it("removes exactly the settled ids: thousands on one account, hundreds of accounts, odd ids", async () => {
    const heavy = `${prefix}heavy`;
    const heavyIds = Array.from({ length: 2_500 }, (_, i) => `msg-n-${i}`);
    await reserve(heavy, heavyIds);
    const many = Array.from({ length: 1_200 }, (_, i) => `${prefix}acc-${i}`);
    for (const a of many) await reserve(a, [`${a}-x`, `${a}-y`]);
    const odd = `${prefix}odd`;
    await reserve(odd, ["line\nbreak", "back\\nslash", "tab\there", "plain", "kept"]);

    await settleReservations(redis, [
      ...heavyIds.slice(0, 2_400).map((cdrId) => ({ accountId: heavy, cdrId })),
      ...many.map((a) => ({ accountId: a, cdrId: `${a}-x` })),
      ...["line\nbreak", "back\\nslash", "tab\there", "plain"].map((cdrId) => ({ accountId: odd, cdrId })),
    ]);

    expect((await redis.hkeys(pendingKey(heavy))).sort()).toEqual(heavyIds.slice(2_400).sort());
    const left = await Promise.all(many.map((a) => redis.hkeys(pendingKey(a))));
    expect(left).toEqual(many.map((a) => [`${a}-y`]));
    expect(await redis.hkeys(pendingKey(odd))).toEqual(["kept"]);
  });
});
