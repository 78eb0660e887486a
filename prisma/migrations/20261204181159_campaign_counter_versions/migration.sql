-- AlterTable
ALTER TABLE "campaign_counters" ADD COLUMN     "version" INTEGER NOT NULL DEFAULT 0;
