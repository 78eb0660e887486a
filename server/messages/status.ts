import type { MessageStatusValue } from "../kafka/topics";

// Statuses only move forward. A late or repeated event with a rank no higher
// than the stored one changes nothing; the first final status wins.

export const FINAL_STATUSES = ["DELIVERED", "UNDELIVERABLE", "EXPIRED", "REJECTED", "FAILED", "CANCELLED"] as const;

const RANK: Record<MessageStatusValue, number> = {
  QUEUED: 0,
  DEFERRED: 1,
  ACCEPTED: 2,
  SUBMITTED: 3,
  DELIVERED: 4,
  UNDELIVERABLE: 4,
  EXPIRED: 4,
  REJECTED: 4,
  FAILED: 4,
  CANCELLED: 4,
};

export function statusRank(status: MessageStatusValue): number {
  return RANK[status];
}

export function isFinal(status: MessageStatusValue): boolean {
  return RANK[status] === 4;
}

/** Whether a message at `current` may move to `next`. */
export function canAdvance(current: MessageStatusValue, next: MessageStatusValue): boolean {
  return RANK[next] > RANK[current];
}
