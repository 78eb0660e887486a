-- CreateTable
CREATE TABLE "parked_sends" (
    "message_id" TEXT NOT NULL,
    "topic" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "reason" TEXT NOT NULL,
    "parked_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "parked_sends_pkey" PRIMARY KEY ("message_id")
);

-- CreateIndex
CREATE INDEX "parked_sends_parked_at_idx" ON "parked_sends"("parked_at");
