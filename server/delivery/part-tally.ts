import type { Redis } from "ioredis";
import { deliveredPartsKey, tallyKey } from "./keys";

// A multi-part message gets one receipt per segment. Its final status is decided once: on the first failure, or when
// every part has reported DELIVERED (a set of part ids, so a repeated receipt does not count twice). A one-part
// message (nearly all of them) is decided by its receipt at once, with no set.
// Returns 1 when this receipt decided the message, and again when the receipt that decided it comes again before
// its final status is known to be produced (markProduced): the carrier resends a receipt its worker never answered,
// as when the worker died between deciding and producing, and that status must not be lost.
//
// One call tallies many reports, in order (one report's keys are KEYS[2i-1] and KEYS[2i], its part id, status and
// fallback total ARGV[3i-1..3i+1]; ARGV[1] is the TTL): a receipt batch is one call instead of one per receipt.
const TALLY_SCRIPT = `
local ttl = ARGV[1]
local out = {}
for i = 1, #KEYS / 2 do
  local tally, delivered = KEYS[2 * i - 1], KEYS[2 * i]
  local part, status = ARGV[3 * i - 1], ARGV[3 * i]
  out[i] = 0
  local seen = redis.call('HMGET', tally, 'done', 'by', 'produced', 'total')
  if seen[1] then
    if seen[2] == part and not seen[3] then out[i] = 1 end
  else
    local total = tonumber(seen[4] or ARGV[3 * i + 1])
    if status ~= 'DELIVERED' or total <= 1 then
      redis.call('HSET', tally, 'done', status, 'by', part)
      redis.call('EXPIRE', tally, ttl)
      out[i] = 1
    else
      redis.call('HSETNX', tally, 'total', total)
      redis.call('EXPIRE', tally, ttl)
      redis.call('SADD', delivered, part)
      redis.call('EXPIRE', delivered, ttl)
      if redis.call('SCARD', delivered) >= total then
        redis.call('HSET', tally, 'done', 'DELIVERED', 'by', part)
        out[i] = 1
      end
    end
  end
end
return out`;

const MARK_PRODUCED_SCRIPT = `for _, key in ipairs(KEYS) do redis.call('HSET', key, 'produced', 1) end return 0`;

// Reports per script call: the script holds Redis for its run, so a huge batch goes in a few calls.
const REPORTS_PER_CALL = 500;

type TallyRedis = Redis & {
  deliveryTally(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Promise<number[]>;
  deliveryMarkProduced(numberOfKeys: number, ...keys: string[]): Promise<unknown>;
};

function scripts(redis: Redis): TallyRedis {
  if (!(redis as TallyRedis).deliveryTally) {
    redis.defineCommand("deliveryTally", { lua: TALLY_SCRIPT });
    redis.defineCommand("deliveryMarkProduced", { lua: MARK_PRODUCED_SCRIPT });
  }
  return redis as TallyRedis;
}

export type PartReport = { messageId: string; partId: string; status: string; fallbackTotal: number };

/** Applies each part's report in order; true where it decided its message's final status. */
export async function tallyParts(
  redis: Redis,
  prefix: string,
  reports: PartReport[],
  ttlSeconds: number,
): Promise<boolean[]> {
  const calls: Promise<number[]>[] = [];
  for (let i = 0; i < reports.length; i += REPORTS_PER_CALL) {
    const chunk = reports.slice(i, i + REPORTS_PER_CALL);
    const keys = chunk.flatMap((r) => [tallyKey(prefix, r.messageId), deliveredPartsKey(prefix, r.messageId)]);
    const args = chunk.flatMap((r) => [r.partId, r.status, r.fallbackTotal]);
    // Sent at once on one connection, so Redis runs them in this order.
    calls.push(scripts(redis).deliveryTally(keys.length, ...keys, ttlSeconds, ...args));
  }
  return (await Promise.all(calls)).flat().map((decided) => decided === 1);
}

/**
 * Records that the final statuses of these messages are on message-status: a receipt that comes again no longer
 * decides them again. Best effort: if it is lost, a resent receipt produces the same final status twice, which the
 * status writer and refunds take once.
 */
export function markProduced(redis: Redis, prefix: string, messageIds: string[]): void {
  for (let i = 0; i < messageIds.length; i += REPORTS_PER_CALL) {
    const keys = messageIds.slice(i, i + REPORTS_PER_CALL).map((id) => tallyKey(prefix, id));
    void scripts(redis)
      .deliveryMarkProduced(keys.length, ...keys)
      .catch(() => undefined);
  }
}

/** Undoes decisions whose status events could not be produced, so the retry decides them again. */
export async function undecide(redis: Redis, prefix: string, messageIds: string[]): Promise<void> {
  if (messageIds.length === 0) return;
  const pipeline = redis.pipeline();
  for (const id of messageIds) pipeline.hdel(tallyKey(prefix, id), "done", "by");
  await pipeline.exec();
}
