-- Webhook deliveries carry replies too (message.received): a reply has no message status.
-- AlterTable
ALTER TABLE "webhook_deliveries" ALTER COLUMN "status" DROP NOT NULL;
