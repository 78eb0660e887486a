-- A reply names the message it answers and that message's campaign: campaigns count their replies and opt-outs.
-- AlterTable
ALTER TABLE "inbound_messages" ADD COLUMN     "campaign_id" TEXT,
ADD COLUMN     "in_reply_to" TEXT;

-- CreateIndex
CREATE INDEX "inbound_messages_campaign_id_received_at_idx" ON "inbound_messages"("campaign_id", "received_at");
