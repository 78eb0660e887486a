-- Inbound messages: what handsets send to the clients' numbers and sender ids (replies, STOP/START keywords),
-- stored with the client they answer and the clients a keyword was applied to; an opt-out says who asked for it.
-- CreateEnum
CREATE TYPE "OptOutSource" AS ENUM ('OPERATOR', 'REPLY');

-- CreateEnum
CREATE TYPE "InboundKeyword" AS ENUM ('OPT_OUT', 'OPT_IN', 'HELP');

-- AlterTable
ALTER TABLE "opt_outs" ADD COLUMN     "source" "OptOutSource" NOT NULL DEFAULT 'OPERATOR';

-- CreateTable
CREATE TABLE "inbound_messages" (
    "id" TEXT NOT NULL,
    "provider_id" TEXT NOT NULL,
    "client_id" TEXT,
    "msisdn" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "keyword" "InboundKeyword",
    "applied_to" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "received_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "inbound_messages_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "inbound_messages_client_id_received_at_idx" ON "inbound_messages"("client_id", "received_at");

-- CreateIndex
CREATE INDEX "inbound_messages_received_at_idx" ON "inbound_messages"("received_at");

-- CreateIndex
CREATE INDEX "inbound_messages_msisdn_idx" ON "inbound_messages"("msisdn");

-- AddForeignKey
ALTER TABLE "inbound_messages" ADD CONSTRAINT "inbound_messages_client_id_fkey" FOREIGN KEY ("client_id") REFERENCES "clients"("id") ON DELETE SET NULL ON UPDATE CASCADE;
