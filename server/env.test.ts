import { describe, expect, it } from "vitest";
import { EnvError, parseEnv } from "./env";

describe("parseEnv", () => {
  it("fills the local-stack defaults", () => {
    const env = parseEnv({});
    expect(env.DATABASE_URL).toBe("postgresql://postgres@127.0.0.1:5432/volley");
    expect(env.REDIS_URL).toBe("redis://127.0.0.1:6379");
    expect(env.KAFKA_BROKERS).toEqual(["127.0.0.1:9092"]);
    expect(env.KAFKA_TOPIC_PARTITIONS).toEqual({});
    expect(env.WEB_PORT).toBe(3000);
    expect(env.DATABASE_RANDOM_PAGE_COST).toBe(1.1);
  });

  it("parses lists, numbers and per-topic partition counts", () => {
    const env = parseEnv({
      KAFKA_BROKERS: "k1:9092, k2:9093",
      DATABASE_POOL_SIZE: "25",
      KAFKA_TOPIC_PARTITIONS: "bulk-topic=12,usage-cdr-low=24",
    });
    expect(env.KAFKA_BROKERS).toEqual(["k1:9092", "k2:9093"]);
    expect(env.DATABASE_POOL_SIZE).toBe(25);
    expect(env.KAFKA_TOPIC_PARTITIONS).toEqual({ "bulk-topic": 12, "usage-cdr-low": 24 });
  });

  it("treats empty strings as unset", () => {
    expect(parseEnv({ REDIS_URL: "" }).REDIS_URL).toBe("redis://127.0.0.1:6379");
  });

  it("names every bad variable in one error", () => {
    let error: unknown;
    try {
      parseEnv({
        DATABASE_URL: "mysql://x",
        KAFKA_BROKERS: "no-port",
        DATABASE_POOL_SIZE: "lots",
        KAFKA_TOPIC_PARTITIONS: "bulk-topic=zero",
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(EnvError);
    const message = (error as Error).message;
    expect(message).toContain("DATABASE_URL: must be a postgresql:// URL");
    expect(message).toContain("KAFKA_BROKERS");
    expect(message).toContain("host:port");
    expect(message).toContain("DATABASE_POOL_SIZE");
    expect(message).toContain('KAFKA_TOPIC_PARTITIONS: expected topic=count pairs, got "bulk-topic=zero"');
  });

  it("refuses the development session secret in production", () => {
    expect(() => parseEnv({ NODE_ENV: "production" })).toThrow(/SESSION_SECRET/);
    expect(parseEnv({ NODE_ENV: "production", SESSION_SECRET: "a-long-production-secret" }).NODE_ENV).toBe(
      "production",
    );
  });
});
