import type { Redis } from "ioredis";
import type { Db } from "../db";
import { AppError } from "../errors";
import { availableKey, holdKey, loadAvailable, readyKey } from "./balance-gate";
import { formatMoney } from "./money";

// Campaign holds: at launch a prepaid campaign can set its quoted amount
// aside. The gate moves it from the account's available balance to the
// campaign's hold key; the campaign's messages reserve from the hold first
// (balance-gate.ts), and what is left goes back to available when the
// campaign completes or is cancelled. Postgres records the hold (amount,
// placed, released) so a rebuild can restore what is left of it.

// 1 placed (now or before), 0 not enough available, -1 account not loaded,
// -2 balances not ready (a rebuild is due).
const PLACE_SCRIPT = `
if redis.call('EXISTS', KEYS[3]) == 0 then return -2 end
if redis.call('EXISTS', KEYS[2]) == 1 then return 1 end
local available = redis.call('GET', KEYS[1])
if not available then return -1 end
if tonumber(available) < tonumber(ARGV[1]) then return 0 end
redis.call('DECRBY', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[1])
return 1
`;

// Returns what was left of the hold (now back in available), or nothing when
// there was no hold: a second release moves no money. Without the ready
// marker (a rebuild pending) only the hold goes: the rebuild reads Postgres,
// where the hold is released.
const RELEASE_SCRIPT = `
local held = redis.call('GET', KEYS[2])
if not held then return nil end
redis.call('DEL', KEYS[2])
if redis.call('EXISTS', KEYS[3]) == 1 and redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('INCRBY', KEYS[1], held)
end
return held
`;

export type HoldDeps = { db: Db; redis: Redis; namespace: string };

/**
 * Sets `amount` aside for the campaign, or refuses with the figures when the
 * available balance does not cover it. Idempotent: a campaign has one hold.
 */
export async function placeHold(
  deps: HoldDeps,
  hold: { campaignId: string; accountId: string; amount: bigint; currency: string },
): Promise<void> {
  const { db, redis, namespace } = deps;
  if (hold.amount <= 0n) return;
  // Recorded first: a crash before Redis leaves an unplaced hold that launch retries.
  await db.prisma.campaign.update({ where: { id: hold.campaignId }, data: { holdAmount: hold.amount } });
  const run = () =>
    redis.eval(
      PLACE_SCRIPT,
      3,
      availableKey(hold.accountId),
      holdKey(hold.campaignId),
      readyKey(namespace),
      hold.amount.toString(),
    );
  let result = Number(await run());
  if (result === -1) {
    await loadAvailable(redis, db.pool, [hold.accountId]);
    result = Number(await run());
  }
  if (result !== 1) {
    await db.prisma.campaign.update({ where: { id: hold.campaignId }, data: { holdAmount: null } });
    if (result === -2)
      throw new AppError("CONFLICT", "Balances are being rebuilt after a Redis restart; launch again in a moment");
    const available = BigInt((await redis.get(availableKey(hold.accountId))) ?? "0");
    throw new AppError(
      "CONFLICT",
      `The available balance (${formatMoney(available, hold.currency)}) does not cover the quote (${formatMoney(hold.amount, hold.currency)})`,
    );
  }
  await db.prisma.campaign.update({ where: { id: hold.campaignId }, data: { holdPlacedAt: new Date() } });
}

/** Releases the holds of these campaigns (if any is left); returns what went back per campaign. */
export async function releaseHolds(deps: HoldDeps, campaignIds: string[]): Promise<Map<string, bigint>> {
  const released = new Map<string, bigint>();
  if (campaignIds.length === 0) return released;
  const { rows } = await deps.db.pool.query<{ id: string; account_id: string }>(
    `SELECT c.id, (SELECT a.id FROM accounts a WHERE a.client_id = c.client_id ORDER BY a.created_at, a.id LIMIT 1) AS account_id
     FROM campaigns c WHERE c.id = ANY($1::text[]) AND c.hold_amount IS NOT NULL AND c.hold_released_at IS NULL`,
    [campaignIds],
  );
  for (const row of rows) {
    const left = await deps.redis.eval(
      RELEASE_SCRIPT,
      3,
      availableKey(row.account_id),
      holdKey(row.id),
      readyKey(deps.namespace),
    );
    if (left != null) released.set(row.id, BigInt(left as string));
    await deps.db.pool.query("UPDATE campaigns SET hold_released_at = now() WHERE id = $1", [row.id]);
  }
  return released;
}

/**
 * Releases holds of campaigns that ended without releasing theirs (a crash
 * between the campaign's last status and the release): run by the scheduler.
 */
export async function releaseEndedCampaignHolds(deps: HoldDeps): Promise<number> {
  const { rows } = await deps.db.pool.query<{ id: string }>(
    `SELECT id FROM campaigns WHERE status IN ('COMPLETED', 'CANCELLED')
       AND hold_amount IS NOT NULL AND hold_released_at IS NULL LIMIT 500`,
  );
  await releaseHolds(
    deps,
    rows.map((r) => r.id),
  );
  return rows.length;
}

/** What is left of the campaign's hold right now (null: no hold in Redis). */
export async function holdRemaining(redis: Redis, campaignId: string): Promise<bigint | null> {
  const left = await redis.get(holdKey(campaignId));
  return left == null ? null : BigInt(left);
}
