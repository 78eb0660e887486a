-- The status a message had before its last transition, set by the status writer's update itself
-- (prev_status = the row's status at that moment, under the update's own row lock): the update returns it, so the
-- campaign counters move by exactly the transitions made without a SELECT … FOR UPDATE before every batch.
-- Nullable, no default: adding it rewrites nothing.
ALTER TABLE "messages" ADD COLUMN     "prev_status" "MessageStatus";
