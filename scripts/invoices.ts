import { closeDb, createDb } from "../server/db";
import { env } from "../server/env";
import { generateMonth } from "../server/invoices/job";
import { previousMonth } from "../server/invoices/period";
import { monthInput } from "../server/invoices/schemas";
import { createLogger } from "../server/logger";
import { createRedis } from "../server/redis";

// Generates the postpaid invoices of one calendar month (UTC), the same run
// the scheduler worker makes on its own for the previous month. Safe to
// repeat: accounts already invoiced for the month are skipped.
//
//   npm run invoices -- --month 2026-10     (default: the previous month)
//
// Prints one JSON line: the month, the number of invoices created and their
// totals per currency in minor units.

const i = process.argv.indexOf("--month");
const parsed = monthInput.safeParse(i >= 0 ? process.argv[i + 1] : previousMonth(new Date()));
if (!parsed.success) {
  console.error(`--month: ${parsed.error.issues[0]?.message}`);
  process.exit(2);
}

const config = env();
const log = createLogger("invoices");
const db = createDb({ url: config.DATABASE_URL, poolSize: 2, randomPageCost: config.DATABASE_RANDOM_PAGE_COST });
const redis = createRedis(config.REDIS_URL);
try {
  const result = await generateMonth({ db, redis, log, namespace: config.KAFKA_TOPIC_PREFIX }, parsed.data, new Date());
  console.log(
    JSON.stringify({
      month: result.month,
      periodStart: result.periodStart.toISOString(),
      periodEnd: result.periodEnd.toISOString(),
      invoices: result.invoiceCount,
      totals: result.totals.map((t) => ({ currency: t.currency, total: t.total.toString(), invoices: t.invoices })),
    }),
  );
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
} finally {
  redis.disconnect();
  await closeDb(db);
}
