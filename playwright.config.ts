import { defineConfig } from "@playwright/test";

// E2E tests drive Debian's Chromium (no browser download) against the real
// console and workers started by scripts/run-all.ts on the test database and
// a per-run topic prefix. `npm test` builds the app and migrates/seeds first.
const port = Number(process.env.E2E_WEB_PORT ?? 3100);
const runId = Date.now().toString(36);

export default defineConfig({
  testDir: "tests/e2e",
  outputDir: "test-results/e2e",
  timeout: 90_000,
  expect: { timeout: 30_000 },
  workers: 1,
  retries: 0,
  reporter: [["list"], ["json", { outputFile: "test-results/playwright.json" }]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  webServer: {
    command: "node_modules/.bin/tsx scripts/run-all.ts --prod",
    url: `http://127.0.0.1:${port}/api/health`,
    timeout: 120_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    // Longer than run-all's own 45 s before it kills what has not stopped: its processes are in groups of their own,
    // so a SIGKILL from here would reach run-all alone and leave them running.
    gracefulShutdown: { signal: "SIGTERM", timeout: 60_000 },
    env: {
      WEB_PORT: String(port),
      NODE_ENV: "production",
      SESSION_SECRET: "e2e-session-secret-not-for-production",
      DATABASE_URL: process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/volley_test",
      KAFKA_TOPIC_PREFIX: `e2e-${runId}-`,
      KAFKA_DEFAULT_PARTITIONS: "3",
      LOG_LEVEL: "warn",
    },
  },
});
