import type { Redis } from "ioredis";
import { z } from "zod";
import { checkFields } from "../kafka/field-checks";
import type { ReceiptOutcome } from "./outcomes";

// What the SMSC simulator remembers: how often each Volley message id arrived, its statistics and the receipts it
// still owes. In Redis (keys `smsc:<namespace>:…`) all of it survives a simulator restart; in memory it does not.

export const pendingReceiptSchema = z
  .object({
    systemId: z.string(),
    messageId: z.string(),
    /** The submitted message's destination, which is the receipt's source. */
    source: z.string(),
    sourceTon: z.number(),
    sourceNpi: z.number(),
    destination: z.string(),
    destTon: z.number(),
    destNpi: z.number(),
    stat: z.string(),
    state: z.number(),
    err: z.string(),
    submittedAt: z.number(),
    due: z.number(),
    text: z.string(),
  })
  .check(
    checkFields({
      counts: [
        ["sourceTon", 0],
        ["sourceNpi", 0],
        ["destTon", 0],
        ["destNpi", 0],
        ["state", 0],
      ],
    }),
  );
export type PendingReceipt = z.infer<typeof pendingReceiptSchema>;

// A receipt owed is kept in Redis as its fields in this order, a JSON array: half the size of the object's JSON, made
// and read without the names (every message sent costs one). One stored as an object (an older simulator) still reads.
const RECEIPT_FIELDS = [
  "systemId",
  "messageId",
  "source",
  "sourceTon",
  "sourceNpi",
  "destination",
  "destTon",
  "destNpi",
  "stat",
  "state",
  "err",
  "submittedAt",
  "due",
  "text",
] as const satisfies readonly (keyof PendingReceipt)[];

export function encodePendingReceipt(r: PendingReceipt): string {
  return JSON.stringify(RECEIPT_FIELDS.map((field) => r[field]));
}

/** The stored receipt, or null if it is not one (then it is dropped: there is nothing to send). */
export function decodePendingReceipt(stored: string): PendingReceipt | null {
  let raw: unknown;
  try {
    raw = JSON.parse(stored);
  } catch {
    return null;
  }
  if (Array.isArray(raw)) {
    const values: unknown[] = raw;
    if (values.length !== RECEIPT_FIELDS.length) return null;
    const named: Record<string, unknown> = {};
    RECEIPT_FIELDS.forEach((field, i) => (named[field] = values[i]));
    raw = named;
  }
  const parsed = pendingReceiptSchema.safeParse(raw);
  return parsed.success ? parsed.data : null;
}

export function receiptFields(outcome: ReceiptOutcome): Pick<PendingReceipt, "stat" | "state" | "err"> {
  return { stat: outcome.stat, state: outcome.state, err: outcome.err };
}

export type AcceptedPart = {
  volleyId?: string;
  seq: number;
  total: number;
  /** Set for a message without a Volley id once all its parts are in: destination + text hash. */
  contentHash?: string;
  receipt?: PendingReceipt;
};

export type MessageCount = {
  volleyId: string;
  /** Complete copies received: the fewest times any one part arrived. */
  received: number;
  /** The most times any one part arrived; above 1 means something was sent twice. */
  maxPartCopies: number;
  total: number;
  /** Copies per part, index 0 = part 1. */
  parts: number[];
};

export type StatField = "throttled" | "rejected" | "refused" | "receiptsSent" | "bindsTotal" | "bindFailures";

export type StoredStats = {
  submitted: number;
  messages: number;
  throttled: number;
  rejected: number;
  refused: number;
  receiptsSent: number;
  bindsTotal: number;
  bindFailures: number;
  duplicates: number;
  contentDuplicates: number;
  receiptsPending: number;
};

export interface SmscStore {
  recordParts(parts: AcceptedPart[]): Promise<void>;
  incr(field: StatField, by?: number): void;
  stats(systemIds: string[]): Promise<StoredStats>;
  messageCount(volleyId: string): Promise<MessageCount | null>;
  /** Removes and returns receipts due by `now`, so two simulators on one namespace never send the same one. */
  takeDueReceipts(systemId: string, now: number, limit: number): Promise<PendingReceipt[]>;
  requeueReceipts(receipts: PendingReceipt[]): Promise<void>;
  reset(): Promise<void>;
  flush(): Promise<void>;
}

const EMPTY_STATS = (): StoredStats => ({
  submitted: 0,
  messages: 0,
  throttled: 0,
  rejected: 0,
  refused: 0,
  receiptsSent: 0,
  bindsTotal: 0,
  bindFailures: 0,
  duplicates: 0,
  contentDuplicates: 0,
  receiptsPending: 0,
});

function toMessageCount(volleyId: string, total: number, copies: (seq: number) => number): MessageCount {
  const parts = Array.from({ length: total }, (_, i) => copies(i + 1));
  return { volleyId, received: Math.min(...parts), maxPartCopies: Math.max(...parts), total, parts };
}

export class MemorySmscStore implements SmscStore {
  private messages = new Map<string, { total: number; copies: Map<number, number> }>();
  private duplicates = new Set<string>();
  private content = new Map<string, number>();
  private counters = EMPTY_STATS();
  private receipts = new Map<string, PendingReceipt[]>();

  async recordParts(parts: AcceptedPart[]): Promise<void> {
    for (const part of parts) {
      this.counters.submitted++;
      if (part.volleyId !== undefined) {
        let m = this.messages.get(part.volleyId);
        if (!m) this.messages.set(part.volleyId, (m = { total: part.total, copies: new Map() }));
        m.total = part.total;
        const c = (m.copies.get(part.seq) ?? 0) + 1;
        m.copies.set(part.seq, c);
        if (c === 2) this.duplicates.add(part.volleyId);
        if (c === 1 && Array.from({ length: m.total }, (_, i) => m.copies.get(i + 1) ?? 0).every((n) => n >= 1)) {
          this.counters.messages++;
        }
      }
      if (part.contentHash !== undefined) {
        const c = (this.content.get(part.contentHash) ?? 0) + 1;
        this.content.set(part.contentHash, c);
        if (c === 1) this.counters.messages++;
        if (c === 2) this.counters.contentDuplicates++;
      }
      if (part.receipt) await this.requeueReceipts([part.receipt]);
    }
  }

  incr(field: StatField, by = 1): void {
    this.counters[field] += by;
  }

  async stats(systemIds: string[]): Promise<StoredStats> {
    const pending = systemIds.reduce((n, id) => n + (this.receipts.get(id)?.length ?? 0), 0);
    return { ...this.counters, duplicates: this.duplicates.size, receiptsPending: pending };
  }

  async messageCount(volleyId: string): Promise<MessageCount | null> {
    const m = this.messages.get(volleyId);
    return m ? toMessageCount(volleyId, m.total, (seq) => m.copies.get(seq) ?? 0) : null;
  }

  async takeDueReceipts(systemId: string, now: number, limit: number): Promise<PendingReceipt[]> {
    const list = this.receipts.get(systemId) ?? [];
    const due: PendingReceipt[] = [];
    const rest: PendingReceipt[] = [];
    for (const r of list) (r.due <= now && due.length < limit ? due : rest).push(r);
    this.receipts.set(systemId, rest);
    return due;
  }

  async requeueReceipts(receipts: PendingReceipt[]): Promise<void> {
    for (const r of receipts) {
      const list = this.receipts.get(r.systemId) ?? [];
      list.push(r);
      this.receipts.set(r.systemId, list);
    }
  }

  async reset(): Promise<void> {
    this.messages.clear();
    this.duplicates.clear();
    this.content.clear();
    this.receipts.clear();
    this.counters = EMPTY_STATS();
  }

  async flush(): Promise<void> {}
}

// Counts parts of Volley messages, many per call: KEYS = the duplicates set, the stats hash, then one message hash per
// part; ARGV = the TTL, then seq, total and Volley id per part. A message counts as received (stats `messages`) when
// its last missing part arrives for the first time; a part's second copy puts its id in the duplicates set. Only a
// part's first copy writes the total and the TTL, and looks at the other parts (the part itself is in by then).
const RECORD_PARTS = `
local dups, stats, ttl = KEYS[1], KEYS[2], ARGV[1]
local messages = 0
for i = 3, #KEYS do
  local key = KEYS[i]
  local a = 2 + (i - 3) * 3
  local total = tonumber(ARGV[a + 1])
  local seq = tonumber(ARGV[a])
  local c = redis.call('HINCRBY', key, 'p' .. seq, 1)
  if c == 2 then redis.call('SADD', dups, ARGV[a + 2]) end
  if c == 1 then
    redis.call('HSET', key, 'total', total)
    redis.call('EXPIRE', key, ttl)
    local complete = true
    for j = 1, total do
      if j ~= seq and tonumber(redis.call('HGET', key, 'p' .. j) or '0') < 1 then complete = false break end
    end
    if complete then messages = messages + 1 end
  end
end
redis.call('HINCRBY', stats, 'submitted', #KEYS - 2)
if messages > 0 then redis.call('HINCRBY', stats, 'messages', messages) end
return 0
`;

/** Parts per RECORD_PARTS call: one call holds Redis for its whole run. */
const PARTS_PER_CALL = 500;

const RECORD_CONTENT = `
local c = redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('EXPIRE', KEYS[1], ARGV[2])
if c == 1 then redis.call('HINCRBY', KEYS[2], 'messages', 1) end
if c == 2 then redis.call('HINCRBY', KEYS[2], 'contentDuplicates', 1) end
return c
`;

const TAKE_DUE = `
local items = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
if #items > 0 then redis.call('ZREM', KEYS[1], unpack(items)) end
return items
`;

type CustomCommands = {
  smscRecordParts(numberOfKeys: number, ...keysThenArgs: (string | number)[]): unknown;
  smscRecordContent(contentKey: string, statsKey: string, hash: string, ttl: number): unknown;
  smscTakeDue(key: string, now: number, limit: number): Promise<string[]>;
};

// Counts outlive a test run or a benchmark by long enough to inspect them, and no longer.
const TTL_SECONDS = 2 * 24 * 3600;

export class RedisSmscStore implements SmscStore {
  private readonly prefix: string;
  private pendingIncr = new Map<StatField, number>();
  private incrTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    namespace: string,
  ) {
    if (!/^[A-Za-z0-9._-]+$/.test(namespace)) throw new Error(`invalid SMSC namespace "${namespace}"`);
    this.prefix = `smsc:${namespace}:`;
    // No numberOfKeys: each call says how many it passes.
    redis.defineCommand("smscRecordParts", { lua: RECORD_PARTS });
    redis.defineCommand("smscRecordContent", { numberOfKeys: 2, lua: RECORD_CONTENT });
    redis.defineCommand("smscTakeDue", { numberOfKeys: 1, lua: TAKE_DUE });
  }

  private key(...parts: string[]): string {
    return this.prefix + parts.join(":");
  }

  async recordParts(parts: AcceptedPart[]): Promise<void> {
    if (parts.length === 0) return;
    const pipeline = this.redis.pipeline();
    const custom = pipeline as unknown as CustomCommands;
    const stats = this.key("stats");
    const counted = parts.filter((p) => p.volleyId !== undefined);
    for (let i = 0; i < counted.length; i += PARTS_PER_CALL) {
      const chunk = counted.slice(i, i + PARTS_PER_CALL);
      custom.smscRecordParts(
        chunk.length + 2,
        this.key("dups"),
        stats,
        ...chunk.map((p) => this.key("msg", p.volleyId!)),
        TTL_SECONDS,
        ...chunk.flatMap((p) => [p.seq, p.total, p.volleyId!]),
      );
    }
    const uncounted = parts.length - counted.length;
    if (uncounted > 0) pipeline.hincrby(stats, "submitted", uncounted);
    for (const part of parts) {
      if (part.contentHash !== undefined) {
        custom.smscRecordContent(this.key("content"), stats, part.contentHash, TTL_SECONDS);
      }
    }
    this.scheduleReceipts(
      pipeline,
      parts.flatMap((p) => (p.receipt ? [p.receipt] : [])),
    );
    const results = await pipeline.exec();
    const failed = results?.find(([err]) => err);
    if (failed) throw failed[0];
  }

  incr(field: StatField, by = 1): void {
    this.pendingIncr.set(field, (this.pendingIncr.get(field) ?? 0) + by);
    // Throttled answers can come thousands a second: one write per 100 ms, not one per answer.
    this.incrTimer ??= setTimeout(() => void this.flushIncr().catch(() => undefined), 100);
  }

  private async flushIncr(): Promise<void> {
    clearTimeout(this.incrTimer);
    this.incrTimer = undefined;
    if (this.pendingIncr.size === 0) return;
    const entries = [...this.pendingIncr];
    this.pendingIncr.clear();
    const pipeline = this.redis.pipeline();
    for (const [field, by] of entries) pipeline.hincrby(this.key("stats"), field, by);
    await pipeline.exec();
  }

  async stats(systemIds: string[]): Promise<StoredStats> {
    await this.flushIncr();
    const pipeline = this.redis.pipeline();
    pipeline.hgetall(this.key("stats"));
    pipeline.scard(this.key("dups"));
    for (const id of systemIds) pipeline.zcard(this.key("receipts", id));
    const results = (await pipeline.exec()) ?? [];
    const raw = (results[0]?.[1] ?? {}) as Record<string, string>;
    const out = EMPTY_STATS();
    for (const field of Object.keys(out) as (keyof StoredStats)[]) {
      if (raw[field] !== undefined) out[field] = Number(raw[field]);
    }
    out.duplicates = Number(results[1]?.[1] ?? 0);
    out.receiptsPending = results.slice(2).reduce((n, [, v]) => n + Number(v ?? 0), 0);
    return out;
  }

  async messageCount(volleyId: string): Promise<MessageCount | null> {
    const raw = await this.redis.hgetall(this.key("msg", volleyId));
    if (!raw.total) return null;
    return toMessageCount(volleyId, Number(raw.total), (seq) => Number(raw[`p${seq}`] ?? 0));
  }

  async takeDueReceipts(systemId: string, now: number, limit: number): Promise<PendingReceipt[]> {
    const items = await (this.redis as unknown as CustomCommands).smscTakeDue(
      this.key("receipts", systemId),
      now,
      limit,
    );
    return items.flatMap((item) => decodePendingReceipt(item) ?? []);
  }

  async requeueReceipts(receipts: PendingReceipt[]): Promise<void> {
    if (receipts.length === 0) return;
    const pipeline = this.redis.pipeline();
    this.scheduleReceipts(pipeline, receipts);
    await pipeline.exec();
  }

  /** One ZADD per bind's schedule and PARTS_PER_CALL receipts, each receipt scored by when it is due. */
  private scheduleReceipts(pipeline: ReturnType<Redis["pipeline"]>, receipts: PendingReceipt[]): void {
    const bySystem = new Map<string, (string | number)[]>();
    for (const r of receipts) {
      const scored = bySystem.get(r.systemId) ?? [];
      if (scored.length === 0) bySystem.set(r.systemId, scored);
      scored.push(r.due, encodePendingReceipt(r));
    }
    for (const [systemId, scored] of bySystem) {
      for (let k = 0; k < scored.length; k += 2 * PARTS_PER_CALL) {
        pipeline.zadd(this.key("receipts", systemId), ...scored.slice(k, k + 2 * PARTS_PER_CALL));
      }
    }
  }

  /** Deletes this namespace's keys only (SCAN + DEL): other namespaces and other data in Redis stay. */
  async reset(): Promise<void> {
    this.pendingIncr.clear();
    let cursor = "0";
    do {
      const [next, keys] = await this.redis.scan(cursor, "MATCH", `${this.prefix}*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await this.redis.del(...keys);
    } while (cursor !== "0");
  }

  async flush(): Promise<void> {
    await this.flushIncr();
  }
}
