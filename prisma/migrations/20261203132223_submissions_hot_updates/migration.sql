-- bulk-proc updates each submission twice (claimed: SUBMITTING, then
-- SUBMITTED). Both indexes named state (and one provider_id, set by the
-- claim), so every update wrote a new entry into every index of the table.
-- Now no index names a column those updates change: the validity sweep finds
-- UNCONFIRMED submissions by the `unconfirmed` flag (false all along an
-- ordinary submission's life), the no-receipt sweep walks valid_until with it,
-- and a receipt is matched to an UNCONFIRMED submission by recipient. With
-- room left on each page (fillfactor 50, as for messages) the updates are
-- heap-only (HOT).

-- DropIndex
DROP INDEX "submissions_provider_id_state_recipient_idx";

-- DropIndex
DROP INDEX "submissions_state_valid_until_idx";

-- AlterTable
ALTER TABLE "submissions" ADD COLUMN     "unconfirmed" BOOLEAN NOT NULL DEFAULT false;

UPDATE "submissions" SET "unconfirmed" = true WHERE "state" = 'UNCONFIRMED';

-- CreateIndex
CREATE INDEX "submissions_unconfirmed_valid_until_idx" ON "submissions"("unconfirmed", "valid_until");

-- CreateIndex
CREATE INDEX "submissions_recipient_idx" ON "submissions"("recipient");

-- Applies to pages written from now on; existing pages keep their rows.
ALTER TABLE "submissions" SET (fillfactor = 50);
