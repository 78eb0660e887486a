-- CreateEnum
CREATE TYPE "UploadStatus" AS ENUM ('READY', 'FAILED');

-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "MessageStatus" ADD VALUE 'DEFERRED';
ALTER TYPE "MessageStatus" ADD VALUE 'CANCELLED';

-- AlterTable
ALTER TABLE "campaigns" ADD COLUMN     "allow_defer" BOOLEAN NOT NULL DEFAULT true,
ADD COLUMN     "launched_at" TIMESTAMPTZ(3),
ADD COLUMN     "launched_rows" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "launcher_id" TEXT,
ADD COLUMN     "launcher_lease_until" TIMESTAMPTZ(3),
ADD COLUMN     "published_count" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "rate_limit_per_second" INTEGER,
ADD COLUMN     "upload_id" TEXT;

-- AlterTable
ALTER TABLE "clients" ADD COLUMN     "max_segments" INTEGER NOT NULL DEFAULT 10,
ADD COLUMN     "quiet_hours_end" TEXT,
ADD COLUMN     "quiet_hours_start" TEXT;

-- AlterTable
ALTER TABLE "messages" ADD COLUMN     "encoding" TEXT;

-- CreateTable
CREATE TABLE "uploads" (
    "id" TEXT NOT NULL,
    "file_name" TEXT NOT NULL,
    "size_bytes" BIGINT NOT NULL,
    "status" "UploadStatus" NOT NULL DEFAULT 'READY',
    "delimiter" TEXT NOT NULL,
    "columns" TEXT[],
    "phone_column" TEXT NOT NULL,
    "row_count" INTEGER NOT NULL,
    "invalid_row_count" INTEGER NOT NULL DEFAULT 0,
    "row_errors" JSONB NOT NULL DEFAULT '[]',
    "created_by_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "uploads_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "upload_chunks" (
    "upload_id" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "data" BYTEA NOT NULL,

    CONSTRAINT "upload_chunks_pkey" PRIMARY KEY ("upload_id","seq")
);

-- CreateTable
CREATE TABLE "campaign_counters" (
    "campaign_id" TEXT NOT NULL,
    "status" "MessageStatus" NOT NULL,
    "count" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "campaign_counters_pkey" PRIMARY KEY ("campaign_id","status")
);

-- CreateTable
CREATE TABLE "deferred_messages" (
    "message_id" TEXT NOT NULL,
    "campaign_id" TEXT,
    "release_at" TIMESTAMPTZ(3),
    "reason" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "deferred_messages_pkey" PRIMARY KEY ("message_id")
);

-- CreateTable
CREATE TABLE "dead_letters" (
    "id" BIGSERIAL NOT NULL,
    "dlq_topic" TEXT NOT NULL,
    "dlq_partition" INTEGER NOT NULL,
    "dlq_offset" BIGINT NOT NULL,
    "source_topic" TEXT NOT NULL,
    "source_partition" INTEGER NOT NULL,
    "source_offset" BIGINT NOT NULL,
    "consumer_group" TEXT NOT NULL,
    "error" TEXT NOT NULL,
    "key" BYTEA,
    "value" BYTEA NOT NULL,
    "headers" JSONB NOT NULL DEFAULT '{}',
    "failed_at" TIMESTAMPTZ(3) NOT NULL,
    "replayed_at" TIMESTAMPTZ(3),
    "replay_count" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "dead_letters_pkey" PRIMARY KEY ("id")
);

-- Move the recipient lists campaigns already have into uploads (one
-- "phone" column: pasted lists were stored one number per line).
INSERT INTO "uploads" ("id", "file_name", "size_bytes", "delimiter", "columns", "phone_column", "row_count", "created_by_id", "created_at")
SELECT 'up_' || c."id", 'pasted.csv',
       COALESCE((SELECT sum(length(k."data")) FROM "campaign_upload_chunks" k WHERE k."campaign_id" = c."id"), 0) + 6,
       ',', ARRAY['phone'], 'phone', c."recipient_count", c."created_by_id", c."created_at"
FROM "campaigns" c;

INSERT INTO "upload_chunks" ("upload_id", "seq", "data")
SELECT 'up_' || "campaign_id", "seq",
       CASE WHEN "seq" = 0 THEN convert_to('phone' || chr(10), 'UTF8') || "data" ELSE "data" END
FROM "campaign_upload_chunks";

UPDATE "campaigns" SET "upload_id" = 'up_' || "id", "launched_rows" = "recipient_count", "published_count" = "recipient_count",
       "launched_at" = "started_at"
WHERE "status" <> 'DRAFT';
UPDATE "campaigns" SET "upload_id" = 'up_' || "id" WHERE "upload_id" IS NULL;
ALTER TABLE "campaigns" ALTER COLUMN "upload_id" SET NOT NULL;

DROP TABLE "campaign_upload_chunks";

INSERT INTO "campaign_counters" ("campaign_id", "status", "count")
SELECT "campaign_id", "status", count(*) FROM "messages" WHERE "campaign_id" IS NOT NULL GROUP BY 1, 2;

-- CreateIndex
CREATE INDEX "deferred_messages_release_at_idx" ON "deferred_messages"("release_at");

-- CreateIndex
CREATE INDEX "deferred_messages_campaign_id_idx" ON "deferred_messages"("campaign_id");

-- CreateIndex
CREATE INDEX "dead_letters_source_topic_id_idx" ON "dead_letters"("source_topic", "id");

-- CreateIndex
CREATE UNIQUE INDEX "dead_letters_dlq_topic_dlq_partition_dlq_offset_key" ON "dead_letters"("dlq_topic", "dlq_partition", "dlq_offset");

-- AddForeignKey
ALTER TABLE "campaigns" ADD CONSTRAINT "campaigns_upload_id_fkey" FOREIGN KEY ("upload_id") REFERENCES "uploads"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "upload_chunks" ADD CONSTRAINT "upload_chunks_upload_id_fkey" FOREIGN KEY ("upload_id") REFERENCES "uploads"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "campaign_counters" ADD CONSTRAINT "campaign_counters_campaign_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deferred_messages" ADD CONSTRAINT "deferred_messages_campaign_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE CASCADE ON UPDATE CASCADE;

