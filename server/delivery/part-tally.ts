import type { Redis } from "ioredis";
import { deliveredPartsKey, tallyKey } from "./keys";

// A multi-part message gets one receipt per segment. Its final status is decided once: on the first failure, or when
// every part has reported DELIVERED (a set of part ids, so a repeated receipt does not count twice). A one-part
// message (nearly all of them) is decided by its receipt at once, with no set.
// Returns 1 when this receipt decided the message, and again when the receipt that decided it comes again before
// its final status is known to be produced (markProduced): the carrier resends a receipt its worker never answered,
// as when the worker died between deciding and producing, and that status must not be lost.
const TALLY_SCRIPT = `
if redis.call('HEXISTS', KEYS[1], 'done') == 1 then
  if redis.call('HGET', KEYS[1], 'by') == ARGV[1] and redis.call('HEXISTS', KEYS[1], 'produced') == 0 then return 1 end
  return 0
end
local total = tonumber(redis.call('HGET', KEYS[1], 'total') or ARGV[3])
if ARGV[2] ~= 'DELIVERED' or total <= 1 then
  redis.call('HSET', KEYS[1], 'done', ARGV[2], 'by', ARGV[1])
  redis.call('EXPIRE', KEYS[1], ARGV[4])
  return 1
end
redis.call('HSETNX', KEYS[1], 'total', total)
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[4])
if redis.call('SCARD', KEYS[2]) >= total then
  redis.call('HSET', KEYS[1], 'done', 'DELIVERED', 'by', ARGV[1])
  return 1
end
return 0`;

type TallyRedis = Redis & {
  deliveryTally(tally: string, delivered: string, partId: string, status: string, total: number, ttl: number): unknown;
};

export type PartReport = { messageId: string; partId: string; status: string; fallbackTotal: number };

/** Applies each part's report in order; true where it decided its message's final status. */
export async function tallyParts(
  redis: Redis,
  prefix: string,
  reports: PartReport[],
  ttlSeconds: number,
): Promise<boolean[]> {
  if (reports.length === 0) return [];
  if (!(redis as TallyRedis).deliveryTally)
    redis.defineCommand("deliveryTally", { numberOfKeys: 2, lua: TALLY_SCRIPT });
  const pipeline = redis.pipeline() as unknown as TallyRedis & { exec(): Promise<[Error | null, unknown][] | null> };
  for (const r of reports) {
    pipeline.deliveryTally(
      tallyKey(prefix, r.messageId),
      deliveredPartsKey(prefix, r.messageId),
      r.partId,
      r.status,
      r.fallbackTotal,
      ttlSeconds,
    );
  }
  const replies = (await pipeline.exec()) ?? [];
  return replies.map(([err, value]) => {
    if (err) throw err;
    return value === 1;
  });
}

/**
 * Records that the final statuses of these messages are on message-status: a receipt that comes again no longer
 * decides them again. Best effort: if it is lost, a resent receipt produces the same final status twice, which the
 * status writer and refunds take once.
 */
export function markProduced(redis: Redis, prefix: string, messageIds: string[]): void {
  if (messageIds.length === 0) return;
  const pipeline = redis.pipeline();
  for (const id of messageIds) pipeline.hset(tallyKey(prefix, id), "produced", 1);
  void pipeline.exec().catch(() => undefined);
}

/** Undoes decisions whose status events could not be produced, so the retry decides them again. */
export async function undecide(redis: Redis, prefix: string, messageIds: string[]): Promise<void> {
  if (messageIds.length === 0) return;
  const pipeline = redis.pipeline();
  for (const id of messageIds) pipeline.hdel(tallyKey(prefix, id), "done", "by");
  await pipeline.exec();
}
