import type { Env } from "../env";
import { env as loadEnv } from "../env";
import { createLogger } from "../logger";
import { startHealthServer } from "../observability/health-server";
import { createRedis } from "../redis";
import { ShutdownManager } from "../worker/shutdown";
import { SmscSimulator, type SmscSimulatorConfig } from "./simulator";
import { MemorySmscStore, RedisSmscStore } from "./store";

export function simulatorConfigFromEnv(env: Env): SmscSimulatorConfig {
  return {
    host: env.SMSC_HOST,
    port: env.SMSC_PORT,
    httpPort: env.SMSC_HTTP_PORT,
    credentials: [{ systemId: env.SMSC_SYSTEM_ID, password: env.SMSC_PASSWORD }],
    receiptDelayMs: env.SMSC_RECEIPT_DELAY_MS,
    ratios: { undeliverable: env.SMSC_RATIO_UNDELIVERABLE, expired: env.SMSC_RATIO_EXPIRED },
    maxTps: env.SMSC_MAX_TPS,
    receiptWindow: env.SMSC_RECEIPT_WINDOW,
  };
}

/**
 * The simulator as a process (`npm run smsc`). Unlike the pipeline workers it needs neither Kafka nor Postgres, so
 * it does not go through runWorker, but keeps its shape: env, clients, start, health server, ordered shutdown.
 */
export async function runSmscSimulator(): Promise<void> {
  const env = loadEnv();
  const log = createLogger("smsc-simulator");
  const shutdown = new ShutdownManager(log);
  shutdown.listen();
  try {
    const redis = env.SMSC_STORE === "redis" ? createRedis(env.REDIS_URL) : undefined;
    const store = redis ? new RedisSmscStore(redis, env.SMSC_NAMESPACE) : new MemorySmscStore();
    const simulator = await SmscSimulator.start(simulatorConfigFromEnv(env), { store, log });
    const health = await startHealthServer({
      port: env.HEALTH_PORT,
      host: env.HEALTH_HOST,
      name: "smsc-simulator",
      checks: redis ? { redis: async () => ({ ok: (await redis.ping()) === "PONG" }) } : {},
    });
    shutdown.add("smpp", () => simulator.stop());
    if (redis) shutdown.add("redis", () => redis.quit());
    shutdown.add("health", () => health.close());
    log.info(
      { smppPort: simulator.port, httpPort: simulator.httpPort, healthPort: health.port, store: env.SMSC_STORE },
      "smsc-simulator started",
    );
  } catch (err) {
    log.fatal({ err }, "smsc-simulator failed to start");
    process.exit(1);
  }
}
