import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { env } from "@/server/env";
import { createRedis } from "@/server/redis";
import { findDuplicates } from "@/server/validation/dedupe";

// One occurrence of a number per campaign (dedupe.ts), shared by every validator through the real Redis.

let redis: Redis;
const campaigns = [`it-dedupe-${randomUUID()}`, `it-dedupe-${randomUUID()}`];

beforeAll(() => {
  redis = createRedis(env().REDIS_URL);
});

afterAll(async () => {
  await redis.del(...campaigns.map((c) => `campaign:${c}:recipients`));
  redis.disconnect();
});

describe("recipient dedupe", () => {
  it("keeps the first message per number and campaign, across calls, redeliveries and chunks", async () => {
    const [a, b] = campaigns as [string, string];
    const claims = [
      { campaignId: a, recipient: "+447911000001", messageId: "a-1" },
      { campaignId: a, recipient: "+447911000002", messageId: "a-2" },
      // The same number again in the same call: the later message is the duplicate.
      { campaignId: a, recipient: "+447911000001", messageId: "a-3" },
      // Another campaign may send to it.
      { campaignId: b, recipient: "+447911000001", messageId: "b-1" },
      // A redelivery of the owner in the same call is not a duplicate.
      { campaignId: a, recipient: "+447911000002", messageId: "a-2" },
    ];
    expect([...(await findDuplicates(redis, claims))]).toEqual(["a-3"]);
    // Next call (another validator, later): the owners stay, newcomers on their numbers are duplicates.
    const later = await findDuplicates(redis, [
      { campaignId: a, recipient: "+447911000001", messageId: "a-1" },
      { campaignId: a, recipient: "+447911000002", messageId: "a-9" },
      { campaignId: b, recipient: "+447911000001", messageId: "b-2" },
      { campaignId: b, recipient: "+447911000003", messageId: "b-3" },
    ]);
    expect([...later].sort()).toEqual(["a-9", "b-2"]);
    expect(await redis.hgetall(`campaign:${b}:recipients`)).toEqual({ "+447911000001": "b-1", "+447911000003": "b-3" });
    // Every campaign's list expires (two weeks), whoever wrote it.
    for (const c of campaigns) {
      const ttl = await redis.ttl(`campaign:${c}:recipients`);
      expect(ttl).toBeGreaterThan(13 * 24 * 3600);
      expect(ttl).toBeLessThanOrEqual(14 * 24 * 3600);
    }

    // More than one script call's worth (500 per call), with a duplicate on each side of the boundary.
    const many = Array.from({ length: 1_200 }, (_, i) => ({
      campaignId: b,
      recipient: `+4479112${String(i % 1_100).padStart(5, "0")}`,
      messageId: `bulk-${i}`,
    }));
    const dups = await findDuplicates(redis, many);
    expect(dups.size).toBe(100);
    expect([...dups].every((id) => Number(id.slice(5)) >= 1_100)).toBe(true);
  });
});
