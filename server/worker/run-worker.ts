import type { Kafka } from "kafkajs";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { closeDb, createDb, type Db } from "../db";
import { env as loadEnv, type Env } from "../env";
import { createKafka, createProducer, ensureTopics, type VolleyProducer } from "../kafka/client";
import { consumerFailures } from "../kafka/consumer";
import { kafkaConfig } from "../kafka/config";
import { createLogger } from "../logger";
import { startHealthServer, type HealthCheck } from "../observability/health-server";
import { createRedis } from "../redis";
import { ShutdownManager } from "./shutdown";

export type WorkerDeps = {
  env: Env;
  log: Logger;
  db: Db;
  redis: Redis;
  kafka: Kafka;
  producer: VolleyProducer;
};

export type StartedWorker = {
  /** Stop consuming; must return only once the in-flight batch is committed. */
  stop(): Promise<void>;
  checks?: Record<string, HealthCheck>;
};

/**
 * The shape of every worker process: parse env, build clients, create missing
 * topics, start, serve health, and on SIGTERM stop in order: consumer →
 * producer → Redis → database → health server. A failed start exits 1.
 */
export async function runWorker(name: string, start: (deps: WorkerDeps) => Promise<StartedWorker>): Promise<void> {
  const env = loadEnv();
  const log = createLogger(name);
  const shutdown = new ShutdownManager(log);
  shutdown.listen();
  consumerFailures.once("fatal", (err: unknown, groupId: string) => {
    log.fatal({ err, groupId }, `${name} stops: a consumer crashed for good`);
    void shutdown.shutdown().finally(() => process.exit(1));
  });
  try {
    const db = createDb({
      url: env.DATABASE_URL,
      poolSize: env.DATABASE_POOL_SIZE,
      randomPageCost: env.DATABASE_RANDOM_PAGE_COST,
    });
    const redis = createRedis(env.REDIS_URL);
    const config = kafkaConfig(env);
    const kafka = createKafka(config, log);
    await ensureTopics(kafka, config);
    const producer = await createProducer(kafka);
    const worker = await start({ env, log, db, redis, kafka, producer });
    const health = await startHealthServer({
      port: env.HEALTH_PORT,
      host: env.HEALTH_HOST,
      name,
      checks: {
        postgres: async () => (await db.pool.query("select 1"), { ok: true }),
        redis: async () => ({ ok: (await redis.ping()) === "PONG" }),
        ...worker.checks,
      },
    });
    shutdown.add("consumer", () => worker.stop());
    shutdown.add("producer", () => producer.disconnect());
    shutdown.add("redis", () => redis.quit());
    shutdown.add("database", () => closeDb(db));
    shutdown.add("health", () => health.close());
    log.info({ healthPort: health.port }, `${name} started`);
  } catch (err) {
    log.fatal({ err }, `${name} failed to start`);
    process.exit(1);
  }
}
