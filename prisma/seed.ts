import { hashPassword } from "../server/auth/password";
import { closeDb, createDb } from "../server/db";
import { env } from "../server/env";
import { seedDemoData } from "./demo-data";

// `npm run db:seed`: demo operators, clients, balances, rate plans, sender IDs.
// Idempotent: running it again changes nothing.
const config = env();
const db = createDb({ url: config.DATABASE_URL, poolSize: 2, randomPageCost: config.DATABASE_RANDOM_PAGE_COST });
try {
  const summary = await seedDemoData(db.prisma, hashPassword, {
    host: config.SMSC_HOST,
    port: config.SMSC_PORT,
    systemId: config.SMSC_SYSTEM_ID,
    password: config.SMSC_PASSWORD,
  });
  console.log(JSON.stringify({ msg: "seeded", ...summary }));
} finally {
  await closeDb(db);
}
