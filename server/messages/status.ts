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

export type FinalStatus = (typeof FINAL_STATUSES)[number];

export function isFinal(status: MessageStatusValue): status is FinalStatus {
  return RANK[status] === 4;
}

/** The rank of a `"MessageStatus"` SQL expression, as SQL: one CASE built from the same table as statusRank. */
export function statusRankSql(expression: string): string {
  const byRank = new Map<number, string[]>();
  for (const [status, rank] of Object.entries(RANK)) byRank.set(rank, [...(byRank.get(rank) ?? []), `'${status}'`]);
  const whens = [...byRank].map(([rank, statuses]) => `WHEN ${expression} IN (${statuses.join(", ")}) THEN ${rank}`);
  return `(CASE ${whens.join(" ")} END)`;
}

/** Whether a message at `current` may move to `next`. */
export function canAdvance(current: MessageStatusValue, next: MessageStatusValue): boolean {
  return RANK[next] > RANK[current];
}
