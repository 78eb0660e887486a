import type { Redis } from "ioredis";
import type { ConsumedRecord, Rejected } from "../kafka/consumer";
import type { UsageCdr } from "../kafka/topics";
import { settleReservations } from "./balance-gate";

/** What a batch of CDRs came to: the ones that can never be applied, and why. */
export type AppliedCdrs = { refused: { cdr: UsageCdr; reason: string }[] };

/**
 * The shape both CDR managers share (prepaid debits, postpaid unbilled usage):
 * `apply` writes the batch (one transaction; a replayed CDR changes nothing),
 * then the gate's reservations of the CDRs it took are settled, leaving the
 * gate's available figure as it was (Postgres and pending both moved).
 * Returns apply's result, the CDRs handed to it, and the records that can
 * never be applied (negative amount, or refused by apply) for the
 * dead-letter topic. A failure after apply's commit (Redis away) redelivers
 * the batch: apply replays as a no-op and the reservations are settled then.
 */
export async function applyCdrBatch<R extends AppliedCdrs>(
  redis: Redis,
  records: ConsumedRecord<UsageCdr>[],
  apply: (cdrs: UsageCdr[]) => Promise<R>,
): Promise<{ result: R; cdrs: UsageCdr[]; rejected: Rejected<UsageCdr>[] }> {
  const rejected: Rejected<UsageCdr>[] = [];
  const cdrs: UsageCdr[] = [];
  for (const record of records) {
    if (record.value.amount < 0n) rejected.push({ record, error: `negative amount ${record.value.amount}` });
    else cdrs.push(record.value);
  }
  const result = await apply(cdrs);
  const reasons = new Map(result.refused.map((r) => [r.cdr.cdrId, r.reason]));
  await settleReservations(redis, reasons.size > 0 ? cdrs.filter((c) => !reasons.has(c.cdrId)) : cdrs);
  if (reasons.size > 0) {
    for (const record of records) {
      const reason = reasons.get(record.value.cdrId);
      if (reason) rejected.push({ record, error: reason });
    }
  }
  return { result, cdrs, rejected };
}
