-- CreateEnum
CREATE TYPE "ProviderKind" AS ENUM ('SMPP', 'HTTP');

-- CreateEnum
CREATE TYPE "SubmissionState" AS ENUM ('PENDING', 'SUBMITTING', 'SUBMITTED', 'UNCONFIRMED', 'FAILED');

-- CreateTable
CREATE TABLE "providers" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "kind" "ProviderKind" NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "max_tps" INTEGER NOT NULL DEFAULT 0,
    "settings" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "providers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "routing_rules" (
    "id" TEXT NOT NULL,
    "client_id" TEXT,
    "prefix" TEXT NOT NULL DEFAULT '',
    "category" "MessageCategory",
    "provider_ids" TEXT[],
    "position" INTEGER NOT NULL DEFAULT 0,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "routing_rules_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "submissions" (
    "message_id" TEXT NOT NULL,
    "client_id" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "provider_id" TEXT,
    "state" "SubmissionState" NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "provider_message_id" TEXT,
    "recipient" TEXT NOT NULL,
    "sender" TEXT NOT NULL,
    "last_error" TEXT,
    "valid_until" TIMESTAMPTZ(3) NOT NULL,
    "submitted_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "submissions_pkey" PRIMARY KEY ("message_id")
);

-- CreateTable
CREATE TABLE "provider_messages" (
    "provider_id" TEXT NOT NULL,
    "provider_message_id" TEXT NOT NULL,
    "message_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "provider_messages_pkey" PRIMARY KEY ("provider_id","provider_message_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "providers_name_key" ON "providers"("name");

-- CreateIndex
CREATE INDEX "routing_rules_client_id_idx" ON "routing_rules"("client_id");

-- CreateIndex
CREATE INDEX "submissions_state_valid_until_idx" ON "submissions"("state", "valid_until");

-- CreateIndex
CREATE INDEX "submissions_provider_id_state_recipient_idx" ON "submissions"("provider_id", "state", "recipient");

-- CreateIndex
CREATE INDEX "provider_messages_message_id_idx" ON "provider_messages"("message_id");
