import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Db } from "../db";
import type { VolleyProducer } from "../kafka/client";
import type { MessageStatusEvent } from "../kafka/topics";
import { EARLY_TTL_SECONDS, earlyIndexKey, earlyKey, pmKey } from "./keys";
import { markProduced, tallyParts, undecide } from "./part-tally";
import type { DeliveryReceipt, SettleReceipt } from "./provider";
import { deliveryStatus, emitStatuses } from "./status-events";

// Delivery receipts → final message statuses. A receipt names the provider's id of one segment; it is matched to the
// Volley message through Redis (written at submit), then Postgres (provider_messages), then — for a message whose
// worker died mid-submit (UNCONFIRMED, its provider id never recorded) — by recipient. A receipt matched by none of
// them is parked in Redis: it most likely overtook its own submit_sm_resp, and is applied when the mapping is
// written, or by the parked-receipt sweep.

export type ReceiptDeps = {
  db: Pick<Db, "pool">;
  redis: Redis;
  producer: VolleyProducer;
  topicPrefix: string;
  /** How long the correlation keys live (DELIVERY_CORRELATION_TTL_SECONDS). */
  correlationTtlSeconds?: number;
};

const DEFAULT_TTL_SECONDS = 3 * 24 * 3_600;

type Matched = { receipt: DeliveryReceipt; messageId: string; fallbackTotal: number };

/**
 * Applies a provider's receipts: emits the final status of every message they decide in one produce, and parks the
 * ones whose id is not known yet. The HTTP webhook and the SMPP binds both end here.
 */
export async function handleProviderReceipts(
  deps: ReceiptDeps,
  providerId: string,
  receipts: DeliveryReceipt[],
): Promise<{ matched: number; early: number }> {
  if (receipts.length === 0) return { matched: 0, early: 0 };
  const { matched, unknown } = await resolveReceipts(deps, providerId, receipts);
  const late = await park(deps, providerId, unknown);
  matched.push(...late);
  await decideAndEmit(deps, matched);
  return { matched: matched.length, early: unknown.length - late.length };
}

/**
 * Receipts parked for these part ids (now mapped to their message) are applied. Call it after writing the mapping: an
 * empty parking index then means nothing to look for, since a receipt parked after this look finds the mapping
 * itself (see park). A parked receipt was acknowledged to the carrier when it was parked, so it is removed only once
 * its status is produced: a worker that dies in between leaves it to the parked-receipt sweep, never loses it.
 */
export async function applyParkedReceipts(deps: ReceiptDeps, providerId: string, partIds: string[]): Promise<number> {
  if (partIds.length === 0) return 0;
  if ((await deps.redis.zcard(earlyIndexKey(deps.topicPrefix))) === 0) return 0;
  const values = await deps.redis.mget(partIds.map((id) => earlyKey(deps.topicPrefix, providerId, id)));
  const found = values.filter((v): v is string => typeof v === "string");
  if (found.length === 0) return 0;
  return applyParked(
    deps,
    providerId,
    found.map((v) => JSON.parse(v) as DeliveryReceipt),
    Date.now(),
  );
}

/**
 * Retries parked receipts older than `minAgeMs` (covers the races the submit path cannot see: a worker that died
 * between parking and mapping, a submission that became UNCONFIRMED after its receipt arrived). Returns how many were
 * applied.
 */
export async function retryParkedReceipts(deps: ReceiptDeps, minAgeMs = 2_000, limit = 500): Promise<number> {
  const index = earlyIndexKey(deps.topicPrefix);
  const now = Date.now();
  const members = await deps.redis.zrangebyscore(index, "-inf", now - minAgeMs, "LIMIT", 0, limit);
  if (members.length === 0) return 0;
  const values = await deps.redis.mget(
    members.map((m) => {
      const i = m.indexOf(":");
      return earlyKey(deps.topicPrefix, m.slice(0, i), m.slice(i + 1));
    }),
  );
  const gone = members.filter((_, i) => values[i] === null);
  if (gone.length > 0) await deps.redis.zrem(index, ...gone);
  const byProvider = new Map<string, DeliveryReceipt[]>();
  members.forEach((m, i) => {
    if (values[i] === null) return;
    const providerId = m.slice(0, m.indexOf(":"));
    byProvider.set(providerId, [...(byProvider.get(providerId) ?? []), JSON.parse(values[i]!) as DeliveryReceipt]);
  });
  let applied = 0;
  for (const [providerId, receipts] of byProvider) applied += await applyParked(deps, providerId, receipts, now);
  return applied;
}

/**
 * Applies parked receipts, then removes those it applied; the others stay parked, looked at again later (the key's
 * own TTL ends them). Two workers applying the same one produce the same final status twice, taken once downstream.
 */
async function applyParked(
  deps: ReceiptDeps,
  providerId: string,
  receipts: DeliveryReceipt[],
  now: number,
): Promise<number> {
  const index = earlyIndexKey(deps.topicPrefix);
  const { matched, unknown } = await resolveReceipts(deps, providerId, receipts);
  await decideAndEmit(deps, matched);
  if (matched.length > 0) {
    const pipeline = deps.redis.pipeline();
    for (const m of matched) pipeline.del(earlyKey(deps.topicPrefix, providerId, m.receipt.providerMessageId));
    pipeline.zrem(index, ...matched.map((m) => `${providerId}:${m.receipt.providerMessageId}`));
    await pipeline.exec();
  }
  if (unknown.length > 0) {
    await deps.redis.zadd(index, ...unknown.flatMap((r) => [now, `${providerId}:${r.providerMessageId}`]));
  }
  return matched.length;
}

async function resolveReceipts(
  deps: ReceiptDeps,
  providerId: string,
  receipts: DeliveryReceipt[],
): Promise<{ matched: Matched[]; unknown: DeliveryReceipt[] }> {
  const prefix = deps.topicPrefix;
  const cached = await deps.redis.mget(receipts.map((r) => pmKey(prefix, providerId, r.providerMessageId)));
  const messageOf = new Map<string, { messageId: string; fallbackTotal: number }>();
  receipts.forEach((r, i) => {
    if (cached[i]) messageOf.set(r.providerMessageId, { messageId: cached[i]!, fallbackTotal: 1 });
  });

  const missing = [...new Set(receipts.map((r) => r.providerMessageId).filter((id) => !messageOf.has(id)))];
  if (missing.length > 0) {
    const { rows } = await deps.db.pool.query<{ provider_message_id: string; message_id: string; parts: number }>(
      `SELECT pm.provider_message_id, pm.message_id,
              (SELECT count(*)::int FROM provider_messages x WHERE x.message_id = pm.message_id) AS parts
       FROM provider_messages pm WHERE pm.provider_id = $1 AND pm.provider_message_id = ANY($2::text[])`,
      [providerId, missing],
    );
    for (const r of rows) messageOf.set(r.provider_message_id, { messageId: r.message_id, fallbackTotal: r.parts });
  }

  await attributeToUnconfirmed(
    deps,
    providerId,
    receipts.filter((r) => !messageOf.has(r.providerMessageId)),
    messageOf,
  );

  const matched: Matched[] = [];
  const unknown: DeliveryReceipt[] = [];
  for (const receipt of receipts) {
    const m = messageOf.get(receipt.providerMessageId);
    if (m) matched.push({ receipt, ...m });
    else unknown.push(receipt);
  }
  return { matched, unknown };
}

/**
 * A receipt nobody knows, for a number that has exactly one UNCONFIRMED submission on this provider (and none being
 * submitted right now, whose own receipt it could be), belongs to that submission: it was sent after all. Its first
 * receipt decides it (how many parts reached the carrier is unknown).
 */
async function attributeToUnconfirmed(
  deps: ReceiptDeps,
  providerId: string,
  receipts: DeliveryReceipt[],
  messageOf: Map<string, { messageId: string; fallbackTotal: number }>,
): Promise<void> {
  const withRecipient = receipts.filter((r) => r.recipient);
  if (withRecipient.length === 0) return;
  const { rows } = await deps.db.pool.query<{ message_id: string; recipient: string; state: string }>(
    `SELECT message_id, recipient, state FROM submissions
     WHERE provider_id = $1 AND state IN ('UNCONFIRMED', 'SUBMITTING') AND recipient = ANY($2::text[])`,
    [providerId, [...new Set(withRecipient.map((r) => r.recipient!))]],
  );
  const byRecipient = new Map<string, { unconfirmed: string[]; submitting: number }>();
  for (const r of rows) {
    const e = byRecipient.get(r.recipient) ?? { unconfirmed: [], submitting: 0 };
    if (r.state === "UNCONFIRMED") e.unconfirmed.push(r.message_id);
    else e.submitting++;
    byRecipient.set(r.recipient, e);
  }
  const attributed: { pmid: string; messageId: string }[] = [];
  const taken = new Set<string>();
  for (const r of withRecipient) {
    const e = byRecipient.get(r.recipient!);
    if (!e || e.unconfirmed.length !== 1 || e.submitting > 0 || taken.has(r.recipient!)) continue;
    taken.add(r.recipient!);
    attributed.push({ pmid: r.providerMessageId, messageId: e.unconfirmed[0]! });
    messageOf.set(r.providerMessageId, { messageId: e.unconfirmed[0]!, fallbackTotal: 1 });
  }
  if (attributed.length === 0) return;
  await deps.db.pool.query(
    `WITH a AS (SELECT * FROM unnest($2::text[], $3::text[]) AS t(pmid, message_id)),
     ins AS (
       INSERT INTO provider_messages (provider_id, provider_message_id, message_id)
       SELECT $1, pmid, message_id FROM a ON CONFLICT DO NOTHING
     )
     UPDATE submissions s SET state = 'SUBMITTED', unconfirmed = false, provider_message_id = a.pmid, updated_at = now()
     FROM a WHERE s.message_id = a.message_id AND s.state = 'UNCONFIRMED'`,
    [providerId, attributed.map((a) => a.pmid), attributed.map((a) => a.messageId)],
  );
}

/** Parks unknown receipts; returns those whose mapping appeared meanwhile (taken back out, to apply now). */
async function park(deps: ReceiptDeps, providerId: string, receipts: DeliveryReceipt[]): Promise<Matched[]> {
  if (receipts.length === 0) return [];
  const prefix = deps.topicPrefix;
  const now = Date.now();
  const pipeline = deps.redis.pipeline();
  for (const r of receipts) {
    pipeline.set(earlyKey(prefix, providerId, r.providerMessageId), JSON.stringify(r), "EX", EARLY_TTL_SECONDS);
  }
  pipeline.zadd(earlyIndexKey(prefix), ...receipts.flatMap((r) => [now, `${providerId}:${r.providerMessageId}`]));
  await pipeline.exec();
  // The submit path writes the mapping and then looks for parked receipts; this side parks and then looks for the
  // mapping. Whichever comes second sees the other, and GETDEL lets only one of them apply the receipt.
  const mapped = await deps.redis.mget(receipts.map((r) => pmKey(prefix, providerId, r.providerMessageId)));
  const late: Matched[] = [];
  for (let i = 0; i < receipts.length; i++) {
    if (!mapped[i]) continue;
    const r = receipts[i]!;
    if ((await deps.redis.getdel(earlyKey(prefix, providerId, r.providerMessageId))) === null) continue;
    await deps.redis.zrem(earlyIndexKey(prefix), `${providerId}:${r.providerMessageId}`);
    late.push({ receipt: r, messageId: mapped[i]!, fallbackTotal: 1 });
  }
  return late;
}

async function decideAndEmit(deps: ReceiptDeps, matched: Matched[]): Promise<void> {
  if (matched.length === 0) return;
  const prefix = deps.topicPrefix;
  const decided = await tallyParts(
    deps.redis,
    prefix,
    matched.map((m) => ({
      messageId: m.messageId,
      partId: m.receipt.providerMessageId,
      status: m.receipt.status,
      fallbackTotal: m.fallbackTotal,
    })),
    deps.correlationTtlSeconds ?? DEFAULT_TTL_SECONDS,
  );
  const finals = matched.filter((_, i) => decided[i]);
  if (finals.length === 0) return;
  // Failures are refunded: say whose message it is (the status writer's row may not be there yet for refunds).
  const failedIds = finals.filter((m) => m.receipt.status !== "DELIVERED").map((m) => m.messageId);
  const owners = new Map<string, { clientId: string; accountId: string }>();
  if (failedIds.length > 0) {
    const { rows } = await deps.db.pool.query<{ message_id: string; client_id: string; account_id: string }>(
      "SELECT message_id, client_id, account_id FROM submissions WHERE message_id = ANY($1::text[])",
      [failedIds],
    );
    for (const r of rows) owners.set(r.message_id, { clientId: r.client_id, accountId: r.account_id });
  }
  const now = new Date();
  const events: MessageStatusEvent[] = finals.map((m) =>
    deliveryStatus(
      m.messageId,
      m.receipt.status,
      m.receipt.status === "DELIVERED" ? null : `ERR_${m.receipt.errorCode}`,
      owners.get(m.messageId) ?? {},
      now,
    ),
  );
  try {
    await emitStatuses(deps.producer, prefix, events);
  } catch (err) {
    await undecide(deps.redis, prefix, [...new Set(finals.map((m) => m.messageId))]).catch(() => undefined);
    throw err;
  }
  markProduced(
    deps.redis,
    prefix,
    finals.map((m) => m.messageId),
  );
}

/**
 * Collects receipts from the binds and applies them in batches: one lookup and one produce per batch instead of per
 * receipt. Batches size themselves: with nothing being applied, what arrived in the same read goes at once; while a
 * batch is applied, the next one gathers and goes when it is done (or at `maxBatch`, or `maxWaitMs`). The carrier's
 * window is then never held by a timer, only by the work.
 */
export class ReceiptBatcher {
  private buffers = new Map<string, { receipts: DeliveryReceipt[]; settles: SettleReceipt[] }>();
  private size = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly deps: ReceiptDeps,
    private readonly log: Logger,
    private readonly maxBatch = 500,
    // Short: the carrier holds each receipt (and its window slot) until it is applied and answered.
    private readonly maxWaitMs = 20,
    private readonly maxAttempts = 4,
  ) {}

  /** `settle` answers the carrier once the receipt is applied (or could not be). */
  add(providerId: string, receipt: DeliveryReceipt, settle?: SettleReceipt): void {
    let buffer = this.buffers.get(providerId);
    if (!buffer) this.buffers.set(providerId, (buffer = { receipts: [], settles: [] }));
    buffer.receipts.push(receipt);
    if (settle) buffer.settles.push(settle);
    this.size++;
    if (this.size >= this.maxBatch) this.flush();
    else if (this.inFlight.size === 0) this.immediate ??= setImmediate(this.flushNow);
    else this.timer ??= setTimeout(this.flushNow, this.maxWaitMs);
  }

  private readonly flushNow = (): void => this.flush();

  private readonly afterApply = (): void => {
    if (this.inFlight.size === 0 && this.size > 0) this.flush();
  };

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    clearImmediate(this.immediate);
    this.immediate = undefined;
    const buffers = this.buffers;
    this.buffers = new Map();
    this.size = 0;
    for (const [providerId, { receipts, settles }] of buffers) {
      const task = this.apply(providerId, receipts).then(
        (applied) => settles.forEach((settle) => settle(applied)),
        () => settles.forEach((settle) => settle(false)),
      );
      const tracked = task.finally(() => {
        this.inFlight.delete(tracked);
        this.afterApply();
      });
      this.inFlight.add(tracked);
    }
  }

  async stop(): Promise<void> {
    this.flush();
    await Promise.all(this.inFlight);
  }

  /** Whether the receipts were applied; after maxAttempts they go back to the carrier, which sends them again. */
  private async apply(providerId: string, receipts: DeliveryReceipt[]): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        await handleProviderReceipts(this.deps, providerId, receipts);
        return true;
      } catch (err) {
        if (attempt >= this.maxAttempts) {
          this.log.error({ err, providerId, receipts: receipts.length }, "receipts not applied: left to the carrier");
          return false;
        }
        this.log.warn({ err, providerId, attempt }, "receipts not applied, retrying");
        await new Promise((r) => setTimeout(r, Math.min(5_000, 100 * 2 ** attempt)));
      }
    }
  }
}
