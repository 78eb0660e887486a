import type { Redis } from "ioredis";

// A recipient appears once per campaign. The first message id to claim a
// number keeps it; a redelivery of that same message is not a duplicate.
// Shared in Redis so that every validator instance agrees.

const DEDUPE_TTL_SECONDS = 14 * 24 * 3600;

// Claims many numbers per call (KEYS[i] with ARGV[2i-1] the number and ARGV[2i] the message id; the last ARGV is the
// TTL) and answers each one's owner, in order: one script call per few hundred messages instead of one per message.
// A new number is one HSETNX (the owner is read only when the number was taken), and a campaign's key gets its TTL
// once per call: its messages come in runs.
const CLAIM_SCRIPT = `
local out = {}
local ttl = ARGV[#ARGV]
local touched = {}
for i, key in ipairs(KEYS) do
  local number, id = ARGV[2 * i - 1], ARGV[2 * i]
  if redis.call('HSETNX', key, number, id) == 1 then
    out[i] = id
    if not touched[key] then
      redis.call('EXPIRE', key, ttl)
      touched[key] = true
    end
  else
    out[i] = redis.call('HGET', key, number)
  end
end
return out
`;

const CLAIMS_PER_CALL = 500;

type WithClaim = Redis & {
  volleyClaimRecipients?: (numberOfKeys: number, ...args: (string | number)[]) => Promise<string[]>;
};

/** For each [campaignId, number, messageId], whether it is a duplicate. */
export async function findDuplicates(
  redis: Redis,
  claims: { campaignId: string; recipient: string; messageId: string }[],
): Promise<Set<string>> {
  const duplicates = new Set<string>();
  if (claims.length === 0) return duplicates;
  const claimer = redis as WithClaim;
  // No numberOfKeys: each call says how many it passes.
  if (!claimer.volleyClaimRecipients) redis.defineCommand("volleyClaimRecipients", { lua: CLAIM_SCRIPT });
  const calls: Promise<string[]>[] = [];
  for (let i = 0; i < claims.length; i += CLAIMS_PER_CALL) {
    const chunk = claims.slice(i, i + CLAIMS_PER_CALL);
    calls.push(
      claimer.volleyClaimRecipients!(
        chunk.length,
        ...chunk.map((c) => `campaign:${c.campaignId}:recipients`),
        ...chunk.flatMap((c) => [c.recipient, c.messageId]),
        DEDUPE_TTL_SECONDS,
      ),
    );
  }
  const owners = (await Promise.all(calls)).flat();
  owners.forEach((owner, i) => {
    if (owner !== claims[i]!.messageId) duplicates.add(claims[i]!.messageId);
  });
  return duplicates;
}
