import type { Redis } from "ioredis";
import { AppError } from "../errors";

// Each API key may make API_RATE_LIMIT_PER_SECOND calls a second, in bursts of as many: a token bucket in Redis, so
// every web process shares it. Tokens are kept in thousandths (Redis stores the integer), the clock is Redis's own.
const TAKE = `
local rate = tonumber(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'milli', 'at')
local full = rate * 1000
local milli = tonumber(b[1]) or full
local at = tonumber(b[2]) or now
milli = math.min(full, milli + math.max(0, now - at) * rate)
local ok = 0
local wait = 0
if milli >= 1000 then
  milli = milli - 1000
  ok = 1
else
  wait = math.ceil((1000 - milli) / rate)
end
redis.call('HSET', KEYS[1], 'milli', milli, 'at', now)
redis.call('PEXPIRE', KEYS[1], 2000)
return {ok, wait}
`;

type WithTake = Redis & { apiRateTake(key: string, rate: number): Promise<[number, number]> };

/** A refused call: answered 429 with Retry-After. */
export class RateLimited extends AppError {
  constructor(
    readonly limit: number,
    readonly retryAfterMs: number,
  ) {
    super("TOO_MANY_REQUESTS", `Over this key's limit of ${limit} calls a second: retry in ${retryAfterMs} ms`);
  }
}

/** Takes one call from the key's bucket, or throws RateLimited. A rate of 0 is no limit. */
export async function takeApiCall(redis: Redis, apiKeyId: string, ratePerSecond: number): Promise<void> {
  if (ratePerSecond <= 0) return;
  const r = redis as WithTake;
  if (!r.apiRateTake) redis.defineCommand("apiRateTake", { numberOfKeys: 1, lua: TAKE });
  const [ok, waitMs] = await r.apiRateTake(`api-rate:${apiKeyId}`, ratePerSecond);
  if (ok !== 1) throw new RateLimited(ratePerSecond, waitMs);
}
