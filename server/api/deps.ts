import { createDb, type Db } from "../db";
import { env as loadEnv, type Env } from "../env";
import { createKafka, createProducer, ensureTopics, type VolleyProducer } from "../kafka/client";
import { kafkaConfig } from "../kafka/config";
import { createLogger } from "../logger";
import { createRedis } from "../redis";
import type { Redis } from "ioredis";
import type { Logger } from "pino";

/** What tRPC procedures and route handlers need; built once per web process. */
export type ApiDeps = {
  env: Env;
  log: Logger;
  db: Db;
  redis: Redis;
  /** Connected on first use, so pages that never publish don't need Kafka. */
  producer: () => Promise<VolleyProducer>;
};

export function buildApiDeps(env: Env): ApiDeps {
  const log = createLogger("web");
  const db = createDb({
    url: env.DATABASE_URL,
    poolSize: env.DATABASE_POOL_SIZE,
    randomPageCost: env.DATABASE_RANDOM_PAGE_COST,
  });
  const redis = createRedis(env.REDIS_URL);
  let producer: Promise<VolleyProducer> | undefined;
  return {
    env,
    log,
    db,
    redis,
    producer: () => {
      producer ??= (async () => {
        const config = kafkaConfig(env);
        const kafka = createKafka(config, log);
        await ensureTopics(kafka, config);
        return createProducer(kafka);
      })().catch((err: unknown) => {
        producer = undefined;
        throw err;
      });
      return producer;
    },
  };
}

// Kept on globalThis so Next's dev reloads reuse the pool and producer.
const holder = globalThis as unknown as { volleyApiDeps?: ApiDeps };

export function apiDeps(): ApiDeps {
  holder.volleyApiDeps ??= buildApiDeps(loadEnv());
  return holder.volleyApiDeps;
}
