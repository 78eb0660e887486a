import type { Redis } from "ioredis";

// A recipient appears once per campaign. The first message id to claim a
// number keeps it; a redelivery of that same message is not a duplicate.
// Shared in Redis so that every validator instance agrees.

const DEDUPE_TTL_SECONDS = 14 * 24 * 3600;

const CLAIM_SCRIPT = `
local owner = redis.call('HGET', KEYS[1], ARGV[1])
if owner then return owner end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return ARGV[2]
`;

type WithClaim = Redis & {
  volleyClaimRecipient?: unknown;
};

/** For each [campaignId, number, messageId], whether it is a duplicate. */
export async function findDuplicates(
  redis: Redis,
  claims: { campaignId: string; recipient: string; messageId: string }[],
): Promise<Set<string>> {
  const duplicates = new Set<string>();
  if (claims.length === 0) return duplicates;
  // EVALSHA after the first call instead of sending the script per claim.
  if (!(redis as WithClaim).volleyClaimRecipient) {
    redis.defineCommand("volleyClaimRecipient", { numberOfKeys: 1, lua: CLAIM_SCRIPT });
  }
  const pipeline = redis.pipeline() as unknown as {
    volleyClaimRecipient(key: string, field: string, owner: string, ttl: number): void;
    exec(): Promise<[Error | null, unknown][] | null>;
  };
  for (const c of claims) {
    pipeline.volleyClaimRecipient(`campaign:${c.campaignId}:recipients`, c.recipient, c.messageId, DEDUPE_TTL_SECONDS);
  }
  const results = (await pipeline.exec()) ?? [];
  results.forEach(([err, owner], i) => {
    if (err) throw err;
    if (owner !== claims[i]!.messageId) duplicates.add(claims[i]!.messageId);
  });
  return duplicates;
}
