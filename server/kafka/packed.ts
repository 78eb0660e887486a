import type { z } from "zod";
import type { Packing } from "./client";
import type { ConsumedRecord, Rejected } from "./consumer";

// Topics whose records come in two envelopes: v1, one item per record, and
// v2, the items of one producer batch that share a partition in one record
// (sent by VolleyProducer.sendPacked, so every item still lands where a
// record keyed by it would). At tens of thousands of items a second, one
// Kafka record and one JSON document per item was most of the consumers'
// CPU. Each item of a v2 record is validated on its own, and one that can
// never be processed is dead-lettered alone, as a v1 record.

/** Most items one v2 record carries (its size is bounded too: see packedRequests in client.ts). */
export const MAX_ITEMS_PER_RECORD = 1_000;

/** A decoded record: its items (one for v1), the v2 items that failed validation, as they were, and whether it was v2. */
export type Unpacked<T, W = unknown> = { items: T[]; invalid: { item: W; error: string }[]; packed?: boolean };

/** How many items a decoded record carries, valid or not: what a consumer's batch size counts. */
export const itemsIn = (record: Unpacked<unknown>) => record.items.length + record.invalid.length;

/** Zod's issues as one line: `path: message; …`. */
export function issuesText(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
}

/** Validates the items of a v2 record one by one: one bad item is set apart, the rest go on. */
export function unpackItems<S extends z.ZodType, T, W>(
  raw: unknown[],
  schema: S,
  toItem: (parsed: z.output<S>) => T,
  asWire: (item: unknown) => W,
): Unpacked<T, W> {
  const out: Unpacked<T, W> = { items: [], invalid: [], packed: true };
  for (const item of raw) {
    const parsed = schema.safeParse(item);
    if (parsed.success) out.items.push(toItem(parsed.data));
    else out.invalid.push({ item: asWire(item), error: issuesText(parsed.error) });
  }
  return out;
}

/**
 * An item that can never be processed, for the dead-letter topic: an item of
 * a v2 record goes alone, as `alone` (a v1 record and its key), whether its
 * record held others (processed) or not, so dead letters are always single
 * items; a v1 record is dead-lettered as it came.
 */
export function rejectItem<R extends Unpacked<unknown>>(
  record: ConsumedRecord<R>,
  error: string,
  alone: { key: string; value: string },
): Rejected<R> {
  return record.value.packed ? { record, error, deadLetter: alone } : { record, error };
}

/**
 * Runs a handler written for one item per record over decoded records: each
 * item as its own record (same topic, partition and offset); what it
 * rejects, and the invalid items, go to the dead letters alone.
 */
export async function handleEachItem<T, W>(
  records: ConsumedRecord<Unpacked<T, W>>[],
  alone: { item: (item: T) => { key: string; value: string }; wire: (item: W) => { key: string; value: string } },
  handle: (records: ConsumedRecord<T>[]) => Promise<Rejected<T>[] | void>,
): Promise<Rejected<Unpacked<T, W>>[]> {
  const rejected: Rejected<Unpacked<T, W>>[] = [];
  const parentOf = new Map<ConsumedRecord<T>, ConsumedRecord<Unpacked<T, W>>>();
  const items: ConsumedRecord<T>[] = [];
  for (const record of records) {
    for (const { item, error } of record.value.invalid)
      rejected.push(rejectItem(record, `schema: ${error}`, alone.wire(item)));
    for (const value of record.value.items) {
      const one = { ...record, value };
      parentOf.set(one, record);
      items.push(one);
    }
  }
  for (const r of (await handle(items)) ?? []) {
    rejected.push(rejectItem(parentOf.get(r.record)!, r.error, alone.item(r.record.value)));
  }
  return rejected;
}

/** An item alone as a v1 record: its JSON, keyed by its `keyField` when that is text (whatever shape an invalid item has). */
export function recordOfItem(item: unknown, keyField: string): { key: string; value: string } {
  const key = typeof item === "object" && item !== null ? (item as Record<string, unknown>)[keyField] : undefined;
  return { key: typeof key === "string" ? key : "", value: JSON.stringify(item) ?? "null" };
}

/** A packing for sendPacked: v2 records `{ v: 2, [field]: items, ...shared }`. */
export function packingOf<T>(
  field: string,
  keyOf: (item: T) => string,
  shared: Record<string, unknown> = {},
): Packing<T> {
  return {
    keyOf,
    pack: (items) => JSON.stringify({ v: 2, ...shared, [field]: items }),
    maxPerRecord: MAX_ITEMS_PER_RECORD,
  };
}
