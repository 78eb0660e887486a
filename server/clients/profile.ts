import type { Redis } from "ioredis";
import type pg from "pg";
import { z } from "zod";

// What the validator needs to know about a client, cached in Redis and read
// through from Postgres. Operators' edits delete the cached copy
// (invalidateClientProfile); the TTL bounds staleness if a delete is missed.

export const clientProfileSchema = z.object({
  id: z.string(),
  status: z.enum(["ACTIVE", "SUSPENDED"]),
  billingType: z.enum(["PREPAID", "POSTPAID"]),
  accountId: z.string().nullable(),
  ratePlanId: z.string(),
  defaultCountry: z.string(),
  timezone: z.string(),
  smartEncoding: z.boolean(),
  maxSegments: z.number().int(),
  quietHours: z.object({ start: z.string(), end: z.string() }).nullable(),
  allowedSenders: z.array(z.string()),
});
export type ClientProfile = z.infer<typeof clientProfileSchema>;

const PROFILE_TTL_SECONDS = 300;
const profileKey = (clientId: string) => `client:${clientId}:profile`;

export async function invalidateClientProfile(redis: Redis, clientId: string): Promise<void> {
  await redis.del(profileKey(clientId));
}

type ProfileRow = {
  id: string;
  status: "ACTIVE" | "SUSPENDED";
  billing_type: "PREPAID" | "POSTPAID";
  account_id: string | null;
  rate_plan_id: string;
  default_country: string;
  timezone: string;
  smart_encoding: boolean;
  max_segments: number;
  quiet_hours_start: string | null;
  quiet_hours_end: string | null;
  allowed_senders: string[];
};

async function queryProfiles(pool: pg.Pool, ids: string[]): Promise<ClientProfile[]> {
  const { rows } = await pool.query<ProfileRow>(
    `SELECT c.id, c.status, c.billing_type, c.rate_plan_id, c.default_country, c.timezone, c.smart_encoding,
            c.max_segments, c.quiet_hours_start, c.quiet_hours_end,
            (SELECT a.id FROM accounts a WHERE a.client_id = c.id ORDER BY a.created_at, a.id LIMIT 1) AS account_id,
            COALESCE((SELECT array_agg(s.value ORDER BY s.value) FROM sender_ids s
                      WHERE s.client_id = c.id AND s.status = 'APPROVED'), '{}') AS allowed_senders
     FROM clients c WHERE c.id = ANY($1::text[])`,
    [ids],
  );
  return rows.map((r) => ({
    id: r.id,
    status: r.status,
    billingType: r.billing_type,
    accountId: r.account_id,
    ratePlanId: r.rate_plan_id,
    defaultCountry: r.default_country,
    timezone: r.timezone,
    smartEncoding: r.smart_encoding,
    maxSegments: r.max_segments,
    quietHours:
      r.quiet_hours_start && r.quiet_hours_end ? { start: r.quiet_hours_start, end: r.quiet_hours_end } : null,
    allowedSenders: r.allowed_senders,
  }));
}

/** Profiles for the given client ids; unknown ids are absent from the map. */
export async function loadClientProfiles(
  redis: Redis,
  pool: pg.Pool,
  clientIds: string[],
): Promise<Map<string, ClientProfile>> {
  const out = new Map<string, ClientProfile>();
  if (clientIds.length === 0) return out;
  const cached = await redis.mget(clientIds.map(profileKey));
  const missing: string[] = [];
  clientIds.forEach((id, i) => {
    const parsed = cached[i] ? clientProfileSchema.safeParse(JSON.parse(cached[i]!)) : null;
    if (parsed?.success) out.set(id, parsed.data);
    else missing.push(id);
  });
  if (missing.length > 0) {
    const fresh = await queryProfiles(pool, missing);
    const pipeline = redis.pipeline();
    for (const profile of fresh) {
      out.set(profile.id, profile);
      pipeline.set(profileKey(profile.id), JSON.stringify(profile), "EX", PROFILE_TTL_SECONDS);
    }
    await pipeline.exec();
  }
  return out;
}
