import type { Redis } from "ioredis";
import type { ConsumedRecord, Rejected } from "../kafka/consumer";
import { recordOfItem, rejectItem } from "../kafka/packed";
import { usageCdrV1Json, type UsageCdr, type UsageCdrRecord } from "../kafka/topics";
import { settleReservations } from "./balance-gate";

/** What a batch of CDRs came to: the ones that can never be applied, and why. */
export type AppliedCdrs = { refused: { cdr: UsageCdr; reason: string }[] };

/** A CDR that can never be applied: dead-lettered alone, as a v1 record keyed by its account. */
const rejectCdr = (record: ConsumedRecord<UsageCdrRecord>, cdr: UsageCdr, error: string) =>
  rejectItem(record, error, { key: cdr.accountId, value: usageCdrV1Json(cdr) });

/**
 * The shape both CDR managers share (prepaid debits, postpaid unbilled usage):
 * `apply` writes the batch (one transaction; a replayed CDR changes nothing),
 * then the gate's reservations of the CDRs it took are settled, leaving the
 * gate's available figure as it was (Postgres and pending both moved).
 * Returns apply's result, the CDRs handed to it, and the CDRs that can
 * never be applied (invalid, negative amount, or refused by apply) for the
 * dead-letter topic. A failure after apply's commit (Redis away) redelivers
 * the batch: apply replays as a no-op and the reservations are settled then.
 */
export async function applyCdrBatch<R extends AppliedCdrs>(
  redis: Redis,
  records: ConsumedRecord<UsageCdrRecord>[],
  apply: (cdrs: UsageCdr[]) => Promise<R>,
): Promise<{ result: R; cdrs: UsageCdr[]; rejected: Rejected<UsageCdrRecord>[] }> {
  const rejected: Rejected<UsageCdrRecord>[] = [];
  const cdrs: UsageCdr[] = [];
  for (const record of records) {
    for (const { item, error } of record.value.invalid)
      rejected.push(rejectItem(record, `schema: ${error}`, recordOfItem(item, "accountId")));
    for (const cdr of record.value.items) {
      if (cdr.amount < 0n) rejected.push(rejectCdr(record, cdr, `negative amount ${cdr.amount}`));
      else cdrs.push(cdr);
    }
  }
  const result = await apply(cdrs);
  const reasons = new Map(result.refused.map((r) => [r.cdr.cdrId, r.reason]));
  await settleReservations(redis, reasons.size > 0 ? cdrs.filter((c) => !reasons.has(c.cdrId)) : cdrs);
  if (reasons.size > 0) {
    for (const record of records) {
      for (const cdr of record.value.items) {
        const reason = reasons.get(cdr.cdrId);
        if (reason) rejected.push(rejectCdr(record, cdr, reason));
      }
    }
  }
  return { result, cdrs, rejected };
}
