import { hashPassword } from "../server/auth/password";
import { closeDb, createDb } from "../server/db";
import { env } from "../server/env";
import { createRedis } from "../server/redis";
import { seedDemoCampaign } from "./demo-campaign";
import { seedDemoData } from "./demo-data";

// `npm run db:seed`: demo operators, clients, balances, rate plans, sender IDs.
// Idempotent: running it again changes nothing. With --demo-campaign (`npm start`) it also launches the demo
// campaign once (prisma/demo-campaign.ts); the test database is seeded without it, so no test finds it running.
const config = env();
const db = createDb({ url: config.DATABASE_URL, poolSize: 2, randomPageCost: config.DATABASE_RANDOM_PAGE_COST });
try {
  const summary = await seedDemoData(db.prisma, hashPassword, {
    host: config.SMSC_HOST,
    port: config.SMSC_PORT,
    systemId: config.SMSC_SYSTEM_ID,
    password: config.SMSC_PASSWORD,
  });
  let demoCampaignId: string | null = null;
  if (process.argv.includes("--demo-campaign")) {
    const redis = createRedis(config.REDIS_URL);
    try {
      demoCampaignId = await seedDemoCampaign({ db, redis, env: config, uploadMaxBytes: config.UPLOAD_MAX_BYTES });
    } finally {
      redis.disconnect();
    }
  }
  console.log(JSON.stringify({ msg: "seeded", ...summary, ...(demoCampaignId && { demoCampaignId }) }));
} finally {
  await closeDb(db);
}
