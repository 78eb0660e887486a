import type { MessageStatus } from "@prisma/client";
import type { Redis } from "ioredis";
import type { Db } from "../db";

// Per-campaign message counts by status. Postgres (campaign_counters) is
// exact: the status writer changes it in the same transaction as the
// message rows. Redis holds a copy of the absolute values for the live
// console; writing absolutes (not increments) makes a lost or repeated
// update heal on the next one. Each value carries its row's version (bumped
// in commit order): two status writers commit one after the other but may
// copy to Redis the other way round, and a campaign's last change of a status
// has no next one to heal it, so an older value never replaces a newer one.

const countsKey = (campaignId: string) => `campaign:${campaignId}:counts`;
const COUNTS_TTL_SECONDS = 7 * 24 * 3600;
/** The hash field that holds a status's version, beside the status's count. */
const VERSION_PREFIX = "v:";

// KEYS[1] the campaign's counts hash; ARGV[1] the TTL, then status, count, version per counter.
const MIRROR_SCRIPT = `
for i = 2, #ARGV, 3 do
  local held = tonumber(redis.call('HGET', KEYS[1], '${VERSION_PREFIX}' .. ARGV[i]) or '-1')
  if tonumber(ARGV[i + 2]) > held then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1], '${VERSION_PREFIX}' .. ARGV[i], ARGV[i + 2])
  end
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 0`;

type MirrorRedis = Redis & { mirrorCampaignCounts(key: string, ...args: (string | number)[]): Promise<unknown> };

export type CounterRow = { campaignId: string; status: MessageStatus; count: number; version: number };

export async function mirrorCounts(redis: Redis, rows: CounterRow[]): Promise<void> {
  if (rows.length === 0) return;
  const r = redis as MirrorRedis;
  if (!r.mirrorCampaignCounts) redis.defineCommand("mirrorCampaignCounts", { numberOfKeys: 1, lua: MIRROR_SCRIPT });
  const byCampaign = new Map<string, (string | number)[]>();
  for (const row of rows) {
    const args = byCampaign.get(row.campaignId) ?? [];
    if (args.length === 0) byCampaign.set(row.campaignId, args);
    args.push(row.status, row.count, row.version);
  }
  const pipeline = redis.pipeline() as unknown as MirrorRedis & ReturnType<Redis["pipeline"]>;
  for (const [campaignId, args] of byCampaign)
    pipeline.mirrorCampaignCounts(countsKey(campaignId), COUNTS_TTL_SECONDS, ...args);
  const replies = (await pipeline.exec()) ?? [];
  for (const [err] of replies) if (err) throw err;
}

export async function readCampaignCounts(
  deps: { db: Db; redis: Redis },
  campaignId: string,
): Promise<Partial<Record<MessageStatus, number>>> {
  const cached = await deps.redis.hgetall(countsKey(campaignId)).catch(() => ({}) as Record<string, string>);
  const counts = Object.entries(cached).filter(([k]) => !k.startsWith(VERSION_PREFIX));
  if (counts.length > 0) {
    return Object.fromEntries(counts.map(([k, v]) => [k, Number(v)]).filter(([, v]) => v !== 0));
  }
  // Zero counts are copied too: their versions keep a late, older copy from bringing a stale count back.
  const { rows } = await deps.db.pool.query<{ status: MessageStatus; count: number; version: number }>(
    "SELECT status, count, version FROM campaign_counters WHERE campaign_id = $1",
    [campaignId],
  );
  if (rows.length > 0)
    await mirrorCounts(
      deps.redis,
      rows.map((r) => ({ campaignId, ...r })),
    );
  return Object.fromEntries(rows.filter((r) => r.count !== 0).map((r) => [r.status, r.count]));
}
