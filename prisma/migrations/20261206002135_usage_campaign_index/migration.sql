-- A campaign's spend on a postpaid client: its usage rows by campaign (server/campaigns/spend.ts), as ledger_entries'
-- campaign index gives a prepaid campaign's charges and refunds.
-- CreateIndex
CREATE INDEX "usage_records_campaign_id_idx" ON "usage_records"("campaign_id");
