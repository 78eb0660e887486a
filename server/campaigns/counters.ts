import type { MessageStatus } from "@prisma/client";
import type { Redis } from "ioredis";
import type { Db } from "../db";

// Per-campaign message counts by status. Postgres (campaign_counters) is
// exact: the status writer changes it in the same transaction as the
// message rows. Redis holds a copy of the absolute values for the live
// console; writing absolutes (not increments) makes a lost or repeated
// update heal on the next one.

const countsKey = (campaignId: string) => `campaign:${campaignId}:counts`;
const COUNTS_TTL_SECONDS = 7 * 24 * 3600;

export async function mirrorCounts(
  redis: Redis,
  rows: { campaignId: string; status: MessageStatus; count: number }[],
): Promise<void> {
  if (rows.length === 0) return;
  const pipeline = redis.pipeline();
  for (const r of rows) {
    pipeline.hset(countsKey(r.campaignId), r.status, r.count);
    pipeline.expire(countsKey(r.campaignId), COUNTS_TTL_SECONDS);
  }
  await pipeline.exec();
}

export async function readCampaignCounts(
  deps: { db: Db; redis: Redis },
  campaignId: string,
): Promise<Partial<Record<MessageStatus, number>>> {
  const cached = await deps.redis.hgetall(countsKey(campaignId)).catch(() => ({}) as Record<string, string>);
  if (Object.keys(cached).length > 0) {
    return Object.fromEntries(
      Object.entries(cached)
        .map(([k, v]) => [k, Number(v)])
        .filter(([, v]) => v !== 0),
    );
  }
  const { rows } = await deps.db.pool.query<{ status: MessageStatus; count: number }>(
    "SELECT status, count FROM campaign_counters WHERE campaign_id = $1 AND count <> 0",
    [campaignId],
  );
  if (rows.length > 0)
    await mirrorCounts(
      deps.redis,
      rows.map((r) => ({ campaignId, ...r })),
    );
  return Object.fromEntries(rows.map((r) => [r.status, r.count]));
}
