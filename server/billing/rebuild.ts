import type { Redis } from "ioredis";
import type { Kafka } from "kafkajs";
import type { Logger } from "pino";
import type { Db } from "../db";
import { readUncommitted } from "../kafka/read-range";
import { TOPICS, usageCdrRecord, type UsageCdr } from "../kafka/topics";
import { availableKey, GATE_BASE_SQL, holdKey, pendingKey, readyKey } from "./balance-gate";

// Rebuilding the gate's balances after Redis lost them (or on first start):
//   available = Postgres balance − Σ CDRs not yet applied − Σ campaign holds left
// (postpaid: credit limit − unbilled usage instead of the balance), where
// "not yet applied" = on a CDR topic past its manager's (prepaid-manager,
// postpaid-manager) committed offset and not already in the ledger /
// usage_records (applied, offset not yet committed). While it runs the gate
// reserves nothing (no ready marker), and it first waits out gate batches
// already past the marker so their CDRs are on the topic before it reads.

const LOCK_TTL_SECONDS = 300;
const IN_FLIGHT_GRACE_MS = 1_500;
const ACCOUNT_PAGE = 5_000;

export type RebuildDeps = { db: Db; redis: Redis; kafka: Kafka; log: Logger; topicPrefix: string };

const lockKey = (namespace: string) => `billing:${namespace}rebuild-lock`;

export async function rebuildBalances(deps: RebuildDeps): Promise<{ accounts: number; unapplied: number }> {
  const { db, redis, topicPrefix } = deps;
  await redis.del(readyKey(topicPrefix));
  await new Promise((r) => setTimeout(r, IN_FLIGHT_GRACE_MS));

  const records = await readUncommitted(deps.kafka, `${topicPrefix}prepaid-manager`, [
    topicPrefix + TOPICS.usageCdrLow.name,
    topicPrefix + TOPICS.usageCdrHigh.name,
  ]);
  const seen = parseCdrs(records);
  // Postpaid CDRs wait for their own manager and, once applied, are in usage_records, not the ledger.
  const postpaid = parseCdrs(
    await readUncommitted(deps.kafka, `${topicPrefix}postpaid-manager`, [topicPrefix + TOPICS.usageCdrPostpaid.name]),
  );
  const applied = new Set([
    ...(await appliedCdrIds(db, "ledger_entries", [...seen.keys()])),
    ...(await appliedCdrIds(db, "usage_records", [...postpaid.keys()])),
  ]);
  const unapplied = new Map<string, UsageCdr[]>();
  for (const cdr of [...seen.values(), ...postpaid.values()]) {
    if (applied.has(cdr.cdrId)) continue;
    unapplied.set(cdr.accountId, [...(unapplied.get(cdr.accountId) ?? []), cdr]);
  }

  const holds = await remainingHolds(db, unapplied);
  let cursor = "";
  let accounts = 0;
  for (;;) {
    const { rows } = await db.pool.query<{ id: string; balance: string }>(
      `SELECT a.id, (${GATE_BASE_SQL})::text AS balance FROM accounts a JOIN clients c ON c.id = a.client_id
       WHERE a.id > $1 ORDER BY a.id LIMIT $2`,
      [cursor, ACCOUNT_PAGE],
    );
    if (rows.length === 0) break;
    const pipeline = redis.pipeline();
    for (const account of rows) {
      const pending = unapplied.get(account.id) ?? [];
      let held = pending.reduce((sum, c) => sum + c.amount, 0n);
      for (const hold of holds.get(account.id) ?? []) {
        held += hold.remaining;
        pipeline.set(holdKey(hold.campaignId), hold.remaining.toString());
      }
      pipeline.set(availableKey(account.id), (BigInt(account.balance) - held).toString());
      pipeline.del(pendingKey(account.id));
      for (const c of pending) pipeline.hset(pendingKey(account.id), c.cdrId, c.amount.toString());
    }
    await pipeline.exec();
    accounts += rows.length;
    cursor = rows[rows.length - 1]!.id;
  }
  await redis.set(readyKey(topicPrefix), new Date().toISOString());
  const total = [...unapplied.values()].reduce((n, list) => n + list.length, 0);
  deps.log.info({ accounts, unappliedCdrs: total }, "billing balances rebuilt in Redis");
  return { accounts, unapplied: total };
}

/**
 * What is left of each placed, unreleased campaign hold: the held amount
 * minus the campaign's charges, applied (ledger) or on their way (unapplied
 * CDRs); never below zero. Few campaigns hold at once, so this is small.
 */
async function remainingHolds(db: Db, unapplied: Map<string, UsageCdr[]>) {
  const { rows } = await db.pool.query<{ id: string; account_id: string; hold: string; charged: string }>(
    `SELECT c.id, a.id AS account_id, c.hold_amount::text AS hold,
            COALESCE((SELECT -sum(l.amount) FROM ledger_entries l
                      WHERE l.campaign_id = c.id AND l.type = 'CHARGE'), 0)::text AS charged
     FROM campaigns c
     JOIN LATERAL (SELECT id FROM accounts WHERE client_id = c.client_id ORDER BY created_at, id LIMIT 1) a ON true
     WHERE c.hold_placed_at IS NOT NULL AND c.hold_released_at IS NULL AND c.hold_amount IS NOT NULL`,
  );
  const inFlight = new Map<string, bigint>();
  for (const cdrs of unapplied.values())
    for (const c of cdrs) if (c.campaignId) inFlight.set(c.campaignId, (inFlight.get(c.campaignId) ?? 0n) + c.amount);
  const byAccount = new Map<string, { campaignId: string; remaining: bigint }[]>();
  for (const r of rows) {
    const left = BigInt(r.hold) - BigInt(r.charged) - (inFlight.get(r.id) ?? 0n);
    const list = byAccount.get(r.account_id) ?? [];
    list.push({ campaignId: r.id, remaining: left > 0n ? left : 0n });
    byAccount.set(r.account_id, list);
  }
  return byAccount;
}

function parseCdrs(records: { value: Buffer }[]): Map<string, UsageCdr> {
  const seen = new Map<string, UsageCdr>();
  for (const r of records) {
    let json: unknown;
    try {
      json = JSON.parse(r.value.toString("utf8"));
    } catch {
      continue;
    }
    const parsed = usageCdrRecord.safeParse(json);
    // Unreadable CDRs are the managers' dead letters, not charges.
    if (parsed.success) for (const cdr of parsed.data.items) seen.set(cdr.cdrId, cdr);
  }
  return seen;
}

/** The CDR ids among `ids` already applied: their `cdr:<id>` reference is in `table`. */
async function appliedCdrIds(db: Db, table: "ledger_entries" | "usage_records", ids: string[]): Promise<Set<string>> {
  const applied = new Set<string>();
  for (let i = 0; i < ids.length; i += 10_000) {
    const { rows } = await db.pool.query<{ reference: string }>(
      `SELECT reference FROM ${table} WHERE reference = ANY($1::text[])`,
      [ids.slice(i, i + 10_000).map((id) => `cdr:${id}`)],
    );
    for (const row of rows) applied.add(row.reference.slice(4));
  }
  return applied;
}

/** One process rebuilds; the others wait for it (or take over if it died). */
export async function ensureBalancesReady(deps: RebuildDeps, waitMs = 60_000): Promise<void> {
  const deadline = Date.now() + waitMs;
  while (!(await deps.redis.exists(readyKey(deps.topicPrefix)))) {
    if (await deps.redis.set(lockKey(deps.topicPrefix), String(process.pid), "EX", LOCK_TTL_SECONDS, "NX")) {
      try {
        await rebuildBalances(deps);
      } finally {
        await deps.redis.del(lockKey(deps.topicPrefix));
      }
      return;
    }
    if (Date.now() > deadline) throw new Error("timed out waiting for the billing balances to be rebuilt");
    await new Promise((r) => setTimeout(r, 200));
  }
}
