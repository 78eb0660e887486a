-- The ids and codes that the per-message tables are keyed and looked up by (message ids, provider message ids,
-- idempotency references, recipients) compare byte by byte (COLLATE "C"): every batch insert and lookup walks these
-- B-trees, and a language collation (en_US.UTF-8, and even C.UTF-8 before PostgreSQL 17) compares each pair through
-- strcoll. These are identifiers, not words: their byte order is the order wanted, and equality is the same. The
-- indexes on the columns are rebuilt; the tables are not rewritten. Prisma does not model column collations, so the
-- schema does not show this (tests/integration/id-collation.int.test.ts does).

ALTER TABLE "messages"
  ALTER COLUMN "id" TYPE TEXT COLLATE "C",
  ALTER COLUMN "client_id" TYPE TEXT COLLATE "C",
  ALTER COLUMN "campaign_id" TYPE TEXT COLLATE "C",
  ALTER COLUMN "recipient" TYPE TEXT COLLATE "C";

ALTER TABLE "submissions"
  ALTER COLUMN "message_id" TYPE TEXT COLLATE "C",
  ALTER COLUMN "recipient" TYPE TEXT COLLATE "C";

ALTER TABLE "provider_messages"
  ALTER COLUMN "provider_id" TYPE TEXT COLLATE "C",
  ALTER COLUMN "provider_message_id" TYPE TEXT COLLATE "C",
  ALTER COLUMN "message_id" TYPE TEXT COLLATE "C";

ALTER TABLE "ledger_entries"
  ALTER COLUMN "reference" TYPE TEXT COLLATE "C",
  ALTER COLUMN "account_id" TYPE TEXT COLLATE "C",
  ALTER COLUMN "campaign_id" TYPE TEXT COLLATE "C";

ALTER TABLE "usage_records"
  ALTER COLUMN "reference" TYPE TEXT COLLATE "C",
  ALTER COLUMN "account_id" TYPE TEXT COLLATE "C";
