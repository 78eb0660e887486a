import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WriteFence } from "@/server/delivery/fence";
import { fenceKey } from "@/server/delivery/keys";
import { env } from "@/server/env";
import { createRedis } from "@/server/redis";

// The write fences of bulk-proc (fence.ts) against the real Redis: which worker may write a claimed message, and what
// a worker that finds it SUBMITTING may do with it.

let redis: Redis;
const prefix = `it-fence-${randomUUID()}:`;

beforeAll(() => {
  redis = createRedis(env().REDIS_URL);
});

afterAll(async () => {
  const keys = await redis.keys(`delivery:${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

const ids = (n: number) => Array.from({ length: n }, () => randomUUID());

describe("write fences", () => {
  it("lets only the claiming worker write, and a taken-over message only its new owner", async () => {
    const a = new WriteFence(redis, prefix, 60);
    const b = new WriteFence(redis, prefix, 60);
    const [m1, m2] = ids(2) as [string, string];
    expect(await a.claim([m1, m2])).toEqual(new Set([m1, m2]));
    expect(await redis.ttl(fenceKey(prefix, m1))).toBeGreaterThan(50);

    expect(await a.gate(m1).acquire()).toBe(true);
    // Its own second segment (or a retry) may follow.
    expect(await a.gate(m1).acquire()).toBe(true);
    expect(await b.gate(m2).acquire()).toBe(false);

    // b finds both SUBMITTING: m1 may be on a carrier, m2 never left a.
    expect(await b.takeOver([m1, m2])).toEqual(
      new Map([
        [m1, "written"],
        [m2, "taken"],
      ]),
    );
    expect(await a.gate(m2).acquire()).toBe(false);
    expect(await b.gate(m2).acquire()).toBe(true);
    // Taking over keeps the expiry: a fence never outlives its message by more than it was given.
    expect(await redis.ttl(fenceKey(prefix, m2))).toBeGreaterThan(0);
  });

  it("never lets a claim replace a fence someone marked written", async () => {
    const stale = new WriteFence(redis, prefix, 60);
    const fresh = new WriteFence(redis, prefix, 60);
    const [m1, m2] = ids(2) as [string, string];
    await stale.claim([m1, m2]);
    expect(await stale.gate(m1).acquire()).toBe(true);
    expect(await fresh.claim([m1, m2])).toEqual(new Set([m2]));
    expect(await redis.get(fenceKey(prefix, m1))).toBe(`w:${stale.token}`);
    // New fences and existing ones in one claim: the new ones set (with their expiry), the existing ones judged.
    const [m3] = ids(1) as [string];
    expect(await stale.claim([m3, m1, m2])).toEqual(new Set([m3, m2]));
    expect(await redis.get(fenceKey(prefix, m2))).toBe(stale.token);
    expect(await redis.get(fenceKey(prefix, m1))).toBe(`w:${stale.token}`);
    expect(await redis.ttl(fenceKey(prefix, m3))).toBeGreaterThan(50);
  });

  it("hands a refused message back (written → claimed) so a takeover may send it", async () => {
    const a = new WriteFence(redis, prefix, 60);
    const b = new WriteFence(redis, prefix, 60);
    const [m] = ids(1) as [string];
    await a.claim([m]);
    const gate = a.gate(m);
    expect(await gate.acquire()).toBe(true);
    gate.release();
    // Another worker's release changes nothing.
    b.gate(m).release();
    expect(await redis.get(fenceKey(prefix, m))).toBe(a.token);
    expect(await b.takeOver([m])).toEqual(new Map([[m, "taken"]]));
  });

  it("forgets only its own fences, and calls a fence Redis lost missing", async () => {
    const a = new WriteFence(redis, prefix, 60);
    const b = new WriteFence(redis, prefix, 60);
    const [m1, m2, m3] = ids(3) as [string, string, string];
    await a.claim([m1, m2]);
    await a.gate(m2).acquire();
    await b.claim([m3]);
    await a.forget([m1, m2, m3]);
    expect(await redis.exists(fenceKey(prefix, m1), fenceKey(prefix, m2))).toBe(0);
    expect(await redis.get(fenceKey(prefix, m3))).toBe(b.token);
    expect(await b.takeOver([m1])).toEqual(new Map([[m1, "missing"]]));
  });

  it("answers every acquire of one tick together, each with its own verdict, in order, past one script call's keys", async () => {
    const a = new WriteFence(redis, prefix, 60);
    const b = new WriteFence(redis, prefix, 60);
    // Interleaved, and more than one call takes (500 keys), so a verdict landing on the wrong id would show.
    const mine = ids(700);
    const theirs = ids(700);
    expect(await a.claim(mine)).toEqual(new Set(mine));
    expect(await b.claim(theirs)).toEqual(new Set(theirs));
    const asked = mine.flatMap((id, i) => [id, theirs[i]!]);
    const verdicts = await Promise.all(asked.map((id) => a.gate(id).acquire()));
    expect(verdicts).toEqual(asked.map((_, i) => i % 2 === 0));
    // b may take over none of a's (all written), and keeps its own; then a forgets all of its own at once.
    const taken = await b.takeOver(asked);
    expect(asked.map((id) => taken.get(id))).toEqual(asked.map((_, i) => (i % 2 === 0 ? "written" : "taken")));
    await a.forget(asked);
    expect(await redis.exists(...mine.map((id) => fenceKey(prefix, id)))).toBe(0);
    expect(await redis.exists(...theirs.map((id) => fenceKey(prefix, id)))).toBe(700);
  });
});
