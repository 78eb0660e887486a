import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { env } from "@/server/env";
import { createRedis } from "@/server/redis";
import { MemorySmscStore, RedisSmscStore, type AcceptedPart, type SmscStore } from "@/server/smsc/store";

// The simulator's count of what it received is the proof, in every delivery test, that nothing was sent twice: both
// stores must see a second copy of a part, and count a long message once, when its last missing part arrives.

let redis: Redis;
const namespace = `it-store-${randomUUID()}`;

beforeAll(() => {
  redis = createRedis(env().REDIS_URL);
});

afterAll(async () => {
  await new RedisSmscStore(redis, namespace).reset();
  redis.disconnect();
});

const stores: [string, () => SmscStore][] = [
  ["Redis", () => new RedisSmscStore(redis, `${namespace}-${randomUUID()}`)],
  ["memory", () => new MemorySmscStore()],
];

describe.each(stores)("SMSC store (%s)", (_, createStore) => {
  it("counts a message once all its parts are in, whatever their order, and a part's second copy as a duplicate", async () => {
    const store = createStore();
    const single = randomUUID();
    const long = randomUUID();
    const part = (volleyId: string, seq: number, total: number): AcceptedPart => ({ volleyId, seq, total });

    await store.recordParts([part(single, 1, 1), part(long, 3, 3)]);
    await store.recordParts([part(long, 1, 3)]);
    expect(await store.stats([])).toMatchObject({ submitted: 3, messages: 1, duplicates: 0 });
    expect(await store.messageCount(long)).toMatchObject({ received: 0, maxPartCopies: 1, total: 3, parts: [1, 0, 1] });

    await store.recordParts([part(long, 2, 3)]);
    expect(await store.stats([])).toMatchObject({ submitted: 4, messages: 2, duplicates: 0 });

    // Sent again: the single one whole, the long one's middle part only.
    await store.recordParts([part(single, 1, 1), part(long, 2, 3)]);
    expect(await store.stats([])).toMatchObject({ submitted: 6, messages: 2, duplicates: 2 });
    expect(await store.messageCount(single)).toMatchObject({ received: 2, maxPartCopies: 2, total: 1 });
    expect(await store.messageCount(long)).toMatchObject({ received: 1, maxPartCopies: 2, parts: [1, 2, 1] });
    expect(await store.messageCount(randomUUID())).toBeNull();
  });
});
