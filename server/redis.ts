import { Redis } from "ioredis";
import { createLogger } from "./logger";

const ERROR_LOG_INTERVAL_MS = 5_000;

/**
 * Commands fail after a few reconnect attempts instead of queueing forever,
 * so a batch fails fast while Redis is away and is retried as a whole.
 */
export function createRedis(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 3, enableReadyCheck: true, lazyConnect: false });
  // Connection errors repeat on every reconnect attempt: log them, but not each one.
  let lastLogged = 0;
  redis.on("error", (err: Error) => {
    if (Date.now() - lastLogged < ERROR_LOG_INTERVAL_MS) return;
    lastLogged = Date.now();
    createLogger("redis").warn({ err: err.message }, "redis connection error");
  });
  return redis;
}
