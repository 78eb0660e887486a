import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Db } from "../db";
import { metrics } from "../observability/metrics";
import type { VolleyProducer } from "../kafka/client";
import type { ConsumedRecord, Rejected } from "../kafka/consumer";
import type { MessageStatusEvent, MessageStatusValue, RoutedMessage } from "../kafka/topics";
import { pmKey, tallyKey } from "./keys";
import type { LanePriority } from "./lane-priority";
import { parkSends, releaseParkedSends, type ParkedSend } from "./parked";
import type { WriteFence } from "./fence";
import { applyParkedReceipts } from "./receipts";
import { chooseRule, type RoutingRuleRow } from "./routing";
import { deliveryStatus, emitStatuses } from "./status-events";
import {
  claimForSubmit,
  markUnconfirmed,
  recordSubmissions,
  validUntilOf,
  writeOutcomes,
  type PartMapping,
  type SubmissionOutcome,
  type SubmissionRow,
} from "./submissions";
import { VALIDITY_EXPIRED } from "./expiry-sweep";
import { submitWithFailover, type ProviderGateway, type RetryPolicy, type SubmitOutcome } from "./submit-with-failover";

export type Lane = "high" | "low";

export type BulkProcDeps = {
  db: Pick<Db, "pool">;
  redis: Redis;
  producer: VolleyProducer;
  log: Logger;
  topicPrefix: string;
  providers: ProviderGateway & { has(id: string): boolean; reload(): Promise<void> };
  rules: { get(maxAgeMs?: number): Promise<RoutingRuleRow[]> };
  priority: LanePriority;
  validitySeconds: number;
  correlationTtlSeconds: number;
  fence: WriteFence;
  retry?: RetryPolicy;
  /** Low-lane messages claimed and submitted at once (the high lane submits its whole, small batch). */
  lowWaveSize?: number;
};

type Decided = { message: RoutedMessage; outcome: SubmitOutcome };

/**
 * One batch of a send lane: route every message, then record it before anything reaches a carrier, claimed at once
 * (SUBMITTING, fenced) where it is new, valid and has an available provider, PENDING otherwise. Decisions come from
 * the record (already handled → skip, found mid-submit → taken over and submitted if its fence says no carrier saw
 * it, else UNCONFIRMED; past validity → EXPIRED, PENDING → claimed and submitted); then submit through the routed
 * providers and write outcomes, correlation and status events in batched statements.
 */
export async function processSendBatch(
  deps: BulkProcDeps,
  lane: Lane,
  records: ConsumedRecord<RoutedMessage>[],
  now = new Date(),
): Promise<Rejected<RoutedMessage>[]> {
  const messages = uniqueById(records.map((r) => r.value));
  // Where a message goes back to if it has to be parked: the topic it came from.
  const topic = records[0]?.topic ?? "";
  const expired = messages.map((m) => validUntilOf(m, deps.validitySeconds) <= now);

  let rules = await deps.rules.get();
  // Each message's rule, computed once per batch (and again only if the rules are re-read).
  const routeAll = () =>
    messages.map((m) => chooseRule(rules, { clientId: m.clientId, recipient: m.recipient, category: m.category }));
  let rulesOf = routeAll();
  const held = (rule: RoutingRuleRow | null) => rule?.providerIds.some((id) => deps.providers.has(id)) ?? false;
  // Before rejecting anything as unroutable or without a provider, make sure neither the rules nor the providers
  // are a few seconds stale (an operator may just have added them).
  if (rulesOf.some((rule, i) => !expired[i] && !held(rule))) {
    rules = await deps.rules.get(1_000);
    await deps.providers.reload();
    rulesOf = routeAll();
  }
  const firstAvailable = (rule: RoutingRuleRow | null) =>
    held(rule) ? rule!.providerIds.find((id) => deps.providers.isAvailable(id)) : undefined;
  // A new message that will be submitted now is claimed by its insert: no claim statement per wave.
  const claimFor = messages.map((_, i) => (expired[i] ? null : (firstAvailable(rulesOf[i] ?? null) ?? null)));
  const { inserted: fresh, existing } = await recordSubmissions(deps.db.pool, messages, deps.validitySeconds, claimFor);
  const claimedAtInsert = [...fresh.values()].filter((r) => r.state === "SUBMITTING").map((r) => r.messageId);
  const fenced = await deps.fence.claim(claimedAtInsert);
  // A fence someone marked written on a message just recorded: a stale worker may have sent it. Never twice.
  await markUnconfirmed(
    deps.db.pool,
    claimedAtInsert.filter((id) => !fenced.has(id)),
  );

  const retaken = await takeOverOrphans(deps, existing);

  const events: MessageStatusEvent[] = [];
  const outcomes: SubmissionOutcome[] = [];
  const routed: Routed[] = [];
  const waiting: ParkedSend[] = [];
  messages.forEach((m, i) => {
    const found = existing.get(m.messageId);
    const row = found ?? fresh.get(m.messageId);
    if (!row) return;
    if (found) events.push(...replayedEvent(m, found));
    const claimed = !found && row.state === "SUBMITTING";
    if (claimed ? !fenced.has(m.messageId) : row.state !== "PENDING" && !retaken.has(m.messageId)) return;
    // A stored row keeps the validity it was recorded with.
    if (row.validUntil <= now) {
      outcomes.push(final(m, "FAILED", `EXPIRED ${VALIDITY_EXPIRED}`));
      events.push(failureEvent(m, "EXPIRED", VALIDITY_EXPIRED, now));
      return;
    }
    const rule = rulesOf[i] ?? null;
    if (!rule) {
      outcomes.push(final(m, "FAILED", "REJECTED NO_ROUTE"));
      events.push(failureEvent(m, "REJECTED", "NO_ROUTE", now));
      return;
    }
    // No enabled provider on the route (disabled, deleted, or not this worker's): waiting would hold the partition
    // for everyone behind it until an operator acts, so the message fails now (and is refunded).
    if (!held(rule)) {
      outcomes.push(final(m, "FAILED", "REJECTED NO_PROVIDER"));
      events.push(failureEvent(m, "REJECTED", "NO_PROVIDER", now));
      return;
    }
    const first = claimFor[i] ?? firstAvailable(rule);
    if (first) routed.push({ message: m, providerIds: rule.providerIds, first, claimed });
    // Every provider on the route is down: parked rather than holding the partition for everyone behind it.
    else waiting.push({ message: m, topic, reason: "NO_PROVIDER_AVAILABLE" });
  });
  await parkSends(deps.db.pool, waiting);

  // Each wave is recorded as soon as its submits are answered (mapped receipts need not wait for the whole batch);
  // what was decided without a carrier is recorded last.
  const parked =
    waiting.length +
    (await submitInWaves(deps, lane, routed, (decided) => recordOutcomes(deps, topic, decided, [], [], now))) +
    (await recordOutcomes(deps, topic, [], outcomes, events, now));
  if (parked > 0) deps.log.info({ lane, parked }, "messages parked until a provider on their route is back");
  return [];
}

/**
 * Messages found SUBMITTING: their worker died (or lost the partition) between claiming and recording them. Those it
 * never wrote to a carrier are taken over (its late write would now be refused) and go back to PENDING, to be
 * submitted by this batch; the others may be on a carrier and become UNCONFIRMED. Returns the ids taken over.
 */
async function takeOverOrphans(deps: BulkProcDeps, existing: Map<string, SubmissionRow>): Promise<Set<string>> {
  const orphaned = [...existing.values()].filter((r) => r.state === "SUBMITTING").map((r) => r.messageId);
  const fences = await deps.fence.takeOver(orphaned);
  const taken = orphaned.filter((id) => fences.get(id) === "taken");
  for (const verdict of fences.values()) metrics.orphanedSubmits.inc({ fence: verdict });
  await markUnconfirmed(
    deps.db.pool,
    orphaned.filter((id) => fences.get(id) !== "taken"),
  );
  await writeOutcomes(
    deps.db.pool,
    taken.map((id) => ({
      messageId: id,
      state: "PENDING",
      providerId: null,
      providerMessageId: null,
      error: "WORKER_LOST",
    })),
  );
  if (taken.length > 0) deps.log.info({ messages: taken.length }, "took over messages a lost worker never sent");
  return new Set(taken);
}

/**
 * The parked-message sweep: a parked message goes back to its send topic once its route has an available provider,
 * or once there is nothing left to wait for (validity passed, no route, no provider on the route held here): the
 * send path then ends it as it would have.
 */
export async function releaseParked(deps: BulkProcDeps, now = new Date()): Promise<number> {
  const rules = await deps.rules.get();
  return releaseParkedSends(
    { pool: deps.db.pool, producer: deps.producer, topicPrefix: deps.topicPrefix },
    (m, validUntil) => {
      if (validUntil && validUntil <= now) return true;
      const rule = chooseRule(rules, { clientId: m.clientId, recipient: m.recipient, category: m.category });
      if (!rule || !rule.providerIds.some((id) => deps.providers.has(id))) return true;
      return rule.providerIds.some((id) => deps.providers.isAvailable(id));
    },
  );
}

/**
 * Writes what happened to these messages (submission rows, segment ids, Redis correlation, status events), parks
 * those no provider could take (back to `topic` later) and applies receipts that overtook their submit_sm_resp.
 * Returns how many were parked.
 */
async function recordOutcomes(
  deps: BulkProcDeps,
  topic: string,
  decided: Decided[],
  outcomes: SubmissionOutcome[],
  events: MessageStatusEvent[],
  now: Date,
): Promise<number> {
  const parked: ParkedSend[] = [];
  const mappings: PartMapping[] = [];
  const totals: { messageId: string; parts: number }[] = [];
  for (const { message: m, outcome: o } of decided) {
    switch (o.kind) {
      case "submitted":
        outcomes.push({
          messageId: m.messageId,
          state: "SUBMITTED",
          providerId: o.providerId,
          providerMessageId: o.providerMessageId,
          error: null,
        });
        for (const pmid of o.partMessageIds)
          mappings.push({ providerId: o.providerId, providerMessageId: pmid, messageId: m.messageId });
        totals.push({ messageId: m.messageId, parts: o.partMessageIds.length });
        events.push(deliveryStatus(m.messageId, "SUBMITTED", null, { providerMessageId: o.providerMessageId }, now));
        break;
      case "rejected":
        outcomes.push({ ...final(m, "FAILED", `REJECTED ${o.reason}`), providerId: o.providerId });
        events.push(failureEvent(m, "REJECTED", o.reason, now));
        break;
      case "failed":
        outcomes.push({ ...final(m, "FAILED", `FAILED ${o.reason}`), providerId: o.providerId });
        events.push(failureEvent(m, "FAILED", o.reason, now));
        break;
      case "unconfirmed":
        // No event: the message stays where it is until a receipt (matched by recipient) or its validity decides it.
        outcomes.push({
          messageId: m.messageId,
          state: "UNCONFIRMED",
          providerId: o.providerId,
          providerMessageId: o.acceptedPartIds[0] ?? null,
          error: o.reason,
        });
        for (const pmid of o.acceptedPartIds)
          mappings.push({ providerId: o.providerId, providerMessageId: pmid, messageId: m.messageId });
        break;
      case "retry-later":
        outcomes.push({
          messageId: m.messageId,
          state: "PENDING",
          providerId: null,
          providerMessageId: null,
          error: o.reason,
        });
        parked.push({ message: m, topic, reason: o.reason });
        break;
      case "taken-over":
        // Another worker holds it now and records what becomes of it.
        break;
    }
  }

  // Postgres before Redis: a receipt matched through the Redis mapping must find its submission recorded.
  await writeOutcomes(deps.db.pool, outcomes, mappings);
  // No longer SUBMITTING: nothing will look at their fences again.
  await deps.fence.forget(outcomes.map((o) => o.messageId));
  await parkSends(deps.db.pool, parked);
  await writeCorrelation(deps, mappings, totals);
  await emitStatuses(deps.producer, deps.topicPrefix, events);
  // Receipts that overtook their submit_sm_resp were parked: now that their ids are mapped, apply them.
  const byProvider = new Map<string, string[]>();
  for (const m of mappings) {
    const list = byProvider.get(m.providerId);
    if (list) list.push(m.providerMessageId);
    else byProvider.set(m.providerId, [m.providerMessageId]);
  }
  for (const [providerId, partIds] of byProvider) await applyParkedReceipts(receiptDeps(deps), providerId, partIds);
  return parked.length;
}

/** `claimed`: already SUBMITTING and fenced (claimed by its insert); the others are claimed by their wave. */
type Routed = { message: RoutedMessage; providerIds: string[]; first: string; claimed: boolean };

/**
 * Submits in waves, a few at a time: the next wave is handed to the providers while the current one is still being
 * submitted, so the provider's window never runs dry between waves. A wave's messages that were not claimed by their
 * insert (PENDING ones: redelivered, taken over, parked earlier) are claimed first (PENDING → SUBMITTING, one
 * statement). Answers are recorded (`record`) continuously, in small groups, rather than once per wave or batch: a
 * receipt that comes back 50 ms after its submit then mostly finds its mapping instead of being parked. A new wave
 * starts only once the one WAVES_IN_PROGRESS places before it is fully recorded. A worker that dies leaves what it
 * had not recorded SUBMITTING: on redelivery, those its fences show it never wrote are submitted by the next worker,
 * the few it had on the wire become UNCONFIRMED and are never resubmitted. The high lane's batches are small and go
 * in one wave, ahead of the low lane (see LanePriority). Returns the sum of what `record` returned.
 */
async function submitInWaves(
  deps: BulkProcDeps,
  lane: Lane,
  routed: Routed[],
  record: (decided: Decided[]) => Promise<number>,
): Promise<number> {
  const waveSize = lane === "high" ? Math.max(1, routed.length) : (deps.lowWaveSize ?? DEFAULT_LOW_WAVE);
  const recorder = new GroupRecorder(record);
  const runWave = async (wave: Routed[]): Promise<void> => {
    const toClaim = wave.filter((r) => !r.claimed);
    if (toClaim.length === 0) return submitWave(deps, lane, wave, (decided) => recorder.add(decided));
    const claimed = await claimForSubmit(
      deps.db.pool,
      toClaim.map((r) => ({
        messageId: r.message.messageId,
        // Whichever is available now: the route's state may have changed since the batch was routed.
        providerId: r.providerIds.find((id) => deps.providers.isAvailable(id)) ?? r.first,
      })),
    );
    const fenced = await deps.fence.claim([...claimed]);
    // A fence someone marked written on a message that was PENDING: a stale worker may have sent it. Never twice.
    await markUnconfirmed(
      deps.db.pool,
      [...claimed].filter((id) => !fenced.has(id)),
    );
    await submitWave(
      deps,
      lane,
      wave.filter((r) => r.claimed || fenced.has(r.message.messageId)),
      (decided) => recorder.add(decided),
    );
  };
  const running: Promise<void>[] = [];
  try {
    for (let i = 0; i < routed.length; i += waveSize) {
      if (running.length >= WAVES_IN_PROGRESS) await running.shift()!;
      const wave = runWave(routed.slice(i, i + waveSize));
      // A failure of a later wave must not go unobserved while an earlier one is awaited.
      wave.catch(() => undefined);
      running.push(wave);
    }
    for (const wave of running.splice(0)) await wave;
  } finally {
    // On a failure, the waves still under way finish (and are recorded where they can be) before the batch is retried.
    await Promise.allSettled(running);
  }
  return recorder.total;
}

/**
 * Low-lane messages claimed per statement, and waves under way at once: three waves of 200 keep a 200-PDU window
 * full while the oldest one's last answers are recorded.
 */
const DEFAULT_LOW_WAVE = 200;
const WAVES_IN_PROGRESS = 3;

/**
 * Records answers in groups, one group at a time: whatever came in while the previous group was being written (or
 * in the same turn of the event loop) goes in the next one, so groups grow with the load.
 */
class GroupRecorder {
  total = 0;
  private buffer: { decided: Decided; resolve: () => void; reject: (err: unknown) => void }[] = [];
  private flushing = false;

  constructor(private readonly record: (decided: Decided[]) => Promise<number>) {}

  /** Resolves once this answer is recorded. */
  add(decided: Decided): Promise<void> {
    return new Promise((resolve, reject) => {
      this.buffer.push({ decided, resolve, reject });
      if (this.flushing) return;
      this.flushing = true;
      setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    while (this.buffer.length > 0) {
      const group = this.buffer;
      this.buffer = [];
      try {
        this.total += await this.record(group.map((g) => g.decided));
        for (const g of group) g.resolve();
      } catch (err) {
        for (const g of group) g.reject(err);
      }
    }
    this.flushing = false;
  }
}

async function submitWave(
  deps: BulkProcDeps,
  lane: Lane,
  wave: Routed[],
  recorded: (decided: Decided) => Promise<void>,
): Promise<void> {
  const submitOne = async (r: Routed): Promise<Decided> => {
    const m = r.message;
    const sms = {
      id: m.messageId,
      from: m.sender,
      to: m.recipient,
      text: m.body,
      encoding: m.encoding,
      urgent: lane === "high",
    };
    const gate = deps.fence.gate(m.messageId);
    return { message: m, outcome: await submitWithFailover(deps.providers, r.providerIds, sms, deps.retry, gate) };
  };
  if (lane === "high") {
    deps.priority.highStarted(wave.length);
    await Promise.all(
      wave.map((r) =>
        submitOne(r)
          .finally(() => deps.priority.highFinished(1))
          .then(recorded),
      ),
    );
    return;
  }
  await Promise.all(
    wave.map(async (r) => {
      await deps.priority.lowTurn();
      await recorded(await submitOne(r));
    }),
  );
}

// SET each KEYS[i] to ARGV[i + 1] with TTL ARGV[1]: a wave's correlation in one call instead of a command per part.
const SET_CORRELATION_SCRIPT = `for i, key in ipairs(KEYS) do redis.call('SET', key, ARGV[i + 1], 'EX', ARGV[1]) end return 0`;
const CORRELATIONS_PER_CALL = 1_000;

type CorrelationRedis = Redis & { setCorrelation(numberOfKeys: number, ...keysThenArgs: (string | number)[]): unknown };

async function writeCorrelation(
  deps: BulkProcDeps,
  mappings: PartMapping[],
  totals: { messageId: string; parts: number }[],
): Promise<void> {
  if (mappings.length === 0) return;
  const ttl = deps.correlationTtlSeconds;
  if (!(deps.redis as CorrelationRedis).setCorrelation)
    deps.redis.defineCommand("setCorrelation", { lua: SET_CORRELATION_SCRIPT });
  const pipeline = deps.redis.pipeline() as unknown as CorrelationRedis & ReturnType<Redis["pipeline"]>;
  for (let i = 0; i < mappings.length; i += CORRELATIONS_PER_CALL) {
    const chunk = mappings.slice(i, i + CORRELATIONS_PER_CALL);
    pipeline.setCorrelation(
      chunk.length,
      ...chunk.map((m) => pmKey(deps.topicPrefix, m.providerId, m.providerMessageId)),
      ttl,
      ...chunk.map((m) => m.messageId),
    );
  }
  for (const t of totals) {
    // A receipt's tally counts a message whose total is not stored as one part (part-tally.ts): only the multi-part
    // ones need it written.
    if (t.parts === 1) continue;
    pipeline.hset(tallyKey(deps.topicPrefix, t.messageId), "total", t.parts);
    pipeline.expire(tallyKey(deps.topicPrefix, t.messageId), ttl);
  }
  const replies = (await pipeline.exec()) ?? [];
  for (const [err] of replies) if (err) throw err;
}

function receiptDeps(deps: BulkProcDeps) {
  return {
    db: deps.db,
    redis: deps.redis,
    producer: deps.producer,
    topicPrefix: deps.topicPrefix,
    correlationTtlSeconds: deps.correlationTtlSeconds,
  };
}

/**
 * A message already handled when its record comes again (a redelivery after a crash between the writes and the
 * offset commit): its event is produced again, since the first produce may never have happened. The status writer
 * and refunds ignore repeats.
 */
function replayedEvent(m: RoutedMessage, row: SubmissionRow): MessageStatusEvent[] {
  if (row.state === "SUBMITTED" && row.providerMessageId) {
    return [deliveryStatus(m.messageId, "SUBMITTED", null, { providerMessageId: row.providerMessageId })];
  }
  if (row.state === "FAILED" && row.lastError) {
    const [status, ...reason] = row.lastError.split(" ");
    return [failureEvent(m, status as MessageStatusValue, reason.join(" ") || null, new Date())];
  }
  return [];
}

function failureEvent(m: RoutedMessage, status: MessageStatusValue, reason: string | null, at: Date) {
  return deliveryStatus(m.messageId, status, reason, { clientId: m.clientId, accountId: m.accountId }, at);
}

function final(m: RoutedMessage, state: "FAILED", error: string): SubmissionOutcome {
  return { messageId: m.messageId, state, providerId: null, providerMessageId: null, error };
}

function uniqueById(messages: RoutedMessage[]): RoutedMessage[] {
  const seen = new Map<string, RoutedMessage>();
  for (const m of messages) if (!seen.has(m.messageId)) seen.set(m.messageId, m);
  return [...seen.values()];
}
