import path from "node:path";
import { defineConfig } from "vitest/config";

// Unit tests (`*.test.ts`) sit beside the code they test and touch nothing
// outside the process. Integration tests (`tests/integration/*.int.test.ts`)
// run against the real Postgres (database volley_test), Redis and Kafka
// (topics under a per-run prefix), which `npm test` brings up first.
const runId = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
const topicPrefix = `it-${runId}-`;
// For the global teardown, which runs in this process, not in the workers.
process.env.IT_TOPIC_PREFIX = topicPrefix;

export default defineConfig({
  resolve: { alias: { "@": path.resolve(__dirname) } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["server/**/*.test.ts", "workers/**/*.test.ts", "scripts/**/*.test.ts"],
          exclude: ["**/*.int.test.ts", "node_modules/**"],
          environment: "node",
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["tests/integration/**/*.int.test.ts"],
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // One file at a time: they share the broker and database of a 2-core machine.
          pool: "forks",
          poolOptions: { forks: { singleFork: true } },
          globalSetup: ["tests/integration/global-setup.ts"],
          env: {
            NODE_ENV: "test",
            LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
            DATABASE_URL: process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/volley_test",
            KAFKA_TOPIC_PREFIX: topicPrefix,
            KAFKA_DEFAULT_PARTITIONS: "3",
            POLL_INTERVAL_MS: "100",
          },
        },
      },
    ],
  },
});
