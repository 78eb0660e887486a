import type { CampaignStatus } from "@prisma/client";
import type { Redis } from "ioredis";
import type pg from "pg";

// Every stage asks "may this campaign's messages move on?" per batch. The
// answer is cached in Redis and refreshed on every transition, so pause and
// cancel reach all stages within a second or two; the TTL bounds how stale
// a missed refresh can leave it.

const STATE_TTL_SECONDS = 30;
const stateKey = (campaignId: string) => `campaign:${campaignId}:state`;

export async function publishCampaignState(redis: Redis, campaignId: string, status: CampaignStatus): Promise<void> {
  await redis.set(stateKey(campaignId), status, "EX", STATE_TTL_SECONDS);
}

/** Status of each campaign id, from Redis, read through from Postgres. */
export async function campaignStates(
  redis: Redis,
  pool: pg.Pool,
  campaignIds: string[],
): Promise<Map<string, CampaignStatus>> {
  const out = new Map<string, CampaignStatus>();
  if (campaignIds.length === 0) return out;
  const cached = await redis.mget(campaignIds.map(stateKey));
  const missing: string[] = [];
  campaignIds.forEach((id, i) => {
    const value = cached[i];
    if (value) out.set(id, value as CampaignStatus);
    else missing.push(id);
  });
  if (missing.length > 0) {
    const { rows } = await pool.query<{ id: string; status: CampaignStatus }>(
      "SELECT id, status FROM campaigns WHERE id = ANY($1::text[])",
      [missing],
    );
    const pipeline = redis.pipeline();
    for (const row of rows) {
      out.set(row.id, row.status);
      pipeline.set(stateKey(row.id), row.status, "EX", STATE_TTL_SECONDS);
    }
    await pipeline.exec();
  }
  return out;
}
