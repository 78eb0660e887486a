-- A client's answers to STOP, START and HELP replies (null: none), sent back from the address the handset wrote to.
-- AlterTable
ALTER TABLE "clients" ADD COLUMN     "help_answer" TEXT,
ADD COLUMN     "start_answer" TEXT,
ADD COLUMN     "stop_answer" TEXT;
