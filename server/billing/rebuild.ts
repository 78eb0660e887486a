import type { Redis } from "ioredis";
import type { Kafka } from "kafkajs";
import type { Logger } from "pino";
import type { Db } from "../db";
import { readUncommitted } from "../kafka/read-range";
import { TOPICS, usageCdrV1, type UsageCdr } from "../kafka/topics";
import { availableKey, pendingKey, readyKey } from "./balance-gate";

// Rebuilding the gate's balances after Redis lost them (or on first start):
//   available = Postgres balance − Σ CDRs not yet applied
// where "not yet applied" = on a CDR topic past the deduction service's
// committed offset and not already in the ledger (applied, offset not yet
// committed). While it runs the gate reserves nothing (no ready marker), and
// it first waits out gate batches already past the marker so their CDRs are
// on the topic before it reads.

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
  const seen = new Map<string, UsageCdr>();
  for (const r of records) {
    const parsed = usageCdrV1.safeParse(JSON.parse(r.value.toString("utf8") || "null"));
    // Unreadable CDRs are the deduction service's dead letters, not charges.
    if (parsed.success) seen.set(parsed.data.cdrId, parsed.data);
  }
  const applied = new Set<string>();
  const ids = [...seen.keys()];
  for (let i = 0; i < ids.length; i += 10_000) {
    const { rows } = await db.pool.query<{ reference: string }>(
      "SELECT reference FROM ledger_entries WHERE reference = ANY($1::text[])",
      [ids.slice(i, i + 10_000).map((id) => `cdr:${id}`)],
    );
    for (const row of rows) applied.add(row.reference.slice(4));
  }
  const unapplied = new Map<string, UsageCdr[]>();
  for (const cdr of seen.values()) {
    if (applied.has(cdr.cdrId)) continue;
    unapplied.set(cdr.accountId, [...(unapplied.get(cdr.accountId) ?? []), cdr]);
  }

  let cursor = "";
  let accounts = 0;
  for (;;) {
    const { rows } = await db.pool.query<{ id: string; balance: string }>(
      "SELECT id, balance::text AS balance FROM accounts WHERE id > $1 ORDER BY id LIMIT $2",
      [cursor, ACCOUNT_PAGE],
    );
    if (rows.length === 0) break;
    const pipeline = redis.pipeline();
    for (const account of rows) {
      const pending = unapplied.get(account.id) ?? [];
      const held = pending.reduce((sum, c) => sum + c.amount, 0n);
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
