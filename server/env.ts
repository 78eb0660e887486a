import { z } from "zod";

// The one place that reads process.env. Every process parses it once at boot;
// services receive what they need as arguments.

const port = z.coerce.number().int().min(0).max(65535);

const partitionOverrides = z
  .string()
  .default("")
  .transform((raw, ctx) => {
    const out: Record<string, number> = {};
    for (const pair of raw
      .split(",")
      .map((p) => p.trim())
      .filter(Boolean)) {
      const [topic, count] = pair.split("=");
      const n = Number(count);
      if (!topic || !Number.isInteger(n) || n < 1) {
        ctx.addIssue({ code: "custom", message: `expected topic=count pairs, got "${pair}"` });
        return z.NEVER;
      }
      out[topic] = n;
    }
    return out;
  });

export const envSchema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgresql:// URL")
    .default("postgresql://postgres@127.0.0.1:5432/volley"),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  // Set on Volley's own connections; 0 keeps the server's (see createDb).
  DATABASE_RANDOM_PAGE_COST: z.coerce.number().min(0).max(1000).default(1.1),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, "must be a redis:// URL")
    .default("redis://127.0.0.1:6379"),
  KAFKA_BROKERS: z
    .string()
    .default("127.0.0.1:9092")
    .transform((s) =>
      s
        .split(",")
        .map((b) => b.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, "each broker must be host:port")).min(1)),
  KAFKA_CLIENT_ID: z.string().min(1).default("volley"),
  // Lets tests (and several Volley installs on one cluster) use their own topics.
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]*$/)
    .default(""),
  KAFKA_DEFAULT_PARTITIONS: z.coerce.number().int().min(1).max(1000).default(6),
  KAFKA_TOPIC_PARTITIONS: partitionOverrides,
  // 0 picks a free port; the dev runner assigns fixed ones per process.
  HEALTH_PORT: port.default(0),
  HEALTH_HOST: z.string().default("127.0.0.1"),
  WEB_PORT: port.default(3000),
  SESSION_SECRET: z.string().min(16, "must be at least 16 characters").default("dev-only-session-secret-change-me"),
  VALIDATOR_BATCH_SIZE: z.coerce.number().int().min(1).max(100_000).default(2_000),
  LAUNCH_BATCH_SIZE: z.coerce.number().int().min(1).max(100_000).default(1_000),
  STATUS_WRITER_BATCH_SIZE: z.coerce.number().int().min(1).max(100_000).default(5_000),
  // The prepaid-manager: CDRs debited per Postgres transaction, how many
  // partitions (account groups) one process works on at once, and how many
  // consumer-group members it runs them in. Batch × concurrency is held in
  // memory: 20k × 3 fits the workers' 128 MB heap. Bigger batches debit each
  // account less often; a third member keeps Postgres busy while the others
  // fetch (bench:billing, median of 7 runs: 2 × 2 → 3 × 3 went 100k → 107k
  // CDR/s), more mostly adds contention (6 × 10k lost a fifth to 2 × 20k).
  DEDUCTION_BATCH_SIZE: z.coerce.number().int().min(1).max(200_000).default(20_000),
  DEDUCTION_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(3),
  DEDUCTION_CONSUMERS: z.coerce.number().int().min(1).max(8).default(3),
  UPLOAD_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(256 * 1024 * 1024),
  // A launcher that stops renewing its hold on a campaign (crashed) loses it
  // to another launcher after this long.
  LAUNCHER_LEASE_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  // How often the launcher and scheduler look for work.
  POLL_INTERVAL_MS: z.coerce.number().int().min(50).max(60_000).default(500),
  // bulk-proc: a message not submitted within this long of its creation ends EXPIRED (so does an UNCONFIRMED one
  // that no receipt resolved).
  DELIVERY_VALIDITY_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(30 * 86_400)
    .default(86_400),
  // How long provider message id → Volley message id stays in Redis (receipts later than this use Postgres).
  DELIVERY_CORRELATION_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .default(3 * 86_400),
  // After a submitted message's validity period, how long its receipt may still come before it ends EXPIRED
  // NO_RECEIPT (a carrier that sends none, or a receipt lost with a worker that had acknowledged it).
  DELIVERY_RECEIPT_WAIT_SECONDS: z.coerce.number().int().min(0).default(3_600),
  // Only providers whose name starts with this are bound by this bulk-proc (empty: all). Splits binds between
  // installs sharing a database; the tests bind only their own providers.
  DELIVERY_PROVIDER_NAME_PREFIX: z.string().default(""),
  // Client API calls each key may make a second (bursts of as many); 0 = no limit.
  API_RATE_LIMIT_PER_SECOND: z.coerce.number().int().min(0).max(100_000).default(50),
  // Delivery webhooks (the webhooks worker): a call waits this long for an answer; a failed one is retried after
  // WEBHOOK_RETRY_BASE_MS, doubling each time (capped at an hour), WEBHOOK_MAX_ATTEMPTS times in all (the default
  // keeps trying for about a day); this many calls are in flight at once.
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(10).max(3_600_000).default(10_000),
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(30),
  WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(500).default(32),
  // The SMSC simulator (`npm run smsc`): an SMPP v3.4 server for development, tests and benchmarks.
  SMSC_HOST: z.string().default("127.0.0.1"),
  SMSC_PORT: port.default(2775),
  // Control API (/stats, /messages/:id, /reset); its /healthz and /metrics are on HEALTH_PORT like any worker.
  SMSC_HTTP_PORT: port.default(2776),
  SMSC_SYSTEM_ID: z.string().min(1).max(15).default("volley"),
  // SMPP v3.4 caps passwords at 8 characters; the simulator accepts longer ones, as many real SMSCs do.
  SMSC_PASSWORD: z.string().min(1).max(64).default("volley-smsc"),
  SMSC_RECEIPT_DELAY_MS: z.coerce.number().int().min(0).max(3_600_000).default(1_000),
  SMSC_RATIO_UNDELIVERABLE: z.coerce.number().min(0).max(1).default(0),
  SMSC_RATIO_EXPIRED: z.coerce.number().min(0).max(1).default(0),
  // submit_sm per second across all sessions before ESME_RTHROTTLED; 0 = no cap.
  SMSC_MAX_TPS: z.coerce.number().int().min(0).default(0),
  // deliver_sm receipts outstanding (sent, not yet answered) per bound session, like a carrier's receipt window.
  SMSC_RECEIPT_WINDOW: z.coerce.number().int().min(1).max(10_000).default(200),
  // Where per-message counts and pending receipts live: Redis survives a simulator restart.
  SMSC_STORE: z.enum(["redis", "memory"]).default("redis"),
  SMSC_NAMESPACE: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/)
    .default("default"),
});

export type Env = z.infer<typeof envSchema>;

export class EnvError extends Error {}

export function parseEnv(source: Record<string, string | undefined>): Env {
  // Empty strings mean "unset" so that `FOO= cmd` falls back to the default.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ""));
  const result = envSchema.safeParse(cleaned);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join(".") || "(env)"}: ${i.message}`);
    throw new EnvError(`Invalid environment:\n${lines.join("\n")}`);
  }
  if (result.data.NODE_ENV === "production" && result.data.SESSION_SECRET.startsWith("dev-only")) {
    throw new EnvError("Invalid environment:\n  SESSION_SECRET: must be set in production");
  }
  return result.data;
}

let cached: Env | undefined;

/** Parses process.env once; on a bad variable prints which one and exits. */
export function env(): Env {
  if (cached) return cached;
  try {
    cached = parseEnv(process.env);
  } catch (err) {
    if (err instanceof EnvError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  return cached;
}
