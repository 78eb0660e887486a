import type { Redis } from "ioredis";
import type pg from "pg";
import { TransientError } from "../kafka/errors";

export class BalancesNotReady extends TransientError {}

// The prepaid balance gate, answered from Redis.
//
// Invariant, per account, at every moment:
//   available = settled balance (Postgres) − Σ pending reservations − Σ campaign holds left
// where a reservation is pending from the moment the gate accepts a message
// until the deduction service has applied its CDR to Postgres, and a hold
// (server/billing/holds.ts) is money set aside for one campaign at launch:
// that campaign's messages reserve from their hold first, so other traffic
// cannot spend it. The gate's
// script reserves only if `available` covers the amount, atomically, and
// records the reservation under the message id, so a redelivered message is
// never reserved twice. The deduction service removes a reservation when it
// debits Postgres, leaving `available` unchanged.
//
// Amounts are integers in minor units; Lua numbers are doubles, exact up to
// 2^53 minor units per account, far beyond any real balance.

export const availableKey = (accountId: string) => `account:${accountId}:available`;
export const pendingKey = (accountId: string) => `account:${accountId}:pending`;
/** What is left of a campaign's hold; absent when it has none (or it was released). */
export const holdKey = (campaignId: string) => `campaign:${campaignId}:hold`;
// Reserve's hold key for traffic outside campaigns: never written.
const NO_HOLD_KEY = "campaign:-:hold";
const rejectedKey = (accountId: string) => `account:${accountId}:rejected`;
/** Present while Redis holds every balance; gone after Redis lost its data. */
export const readyKey = (namespace: string) => `billing:${namespace}ready`;

// 1 reserved (now or before), 0 not enough balance (now or before),
// -1 account not loaded, -2 balances not ready (Redis lost them; rebuild first).
const RESERVE_SCRIPT = `
if redis.call('EXISTS', KEYS[4]) == 0 then return -2 end
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return 1 end
if redis.call('SISMEMBER', KEYS[3], ARGV[1]) == 1 then return 0 end
local available = redis.call('GET', KEYS[1])
if not available then return -1 end
local held = redis.call('GET', KEYS[5])
if held and tonumber(held) >= tonumber(ARGV[2]) then
  redis.call('DECRBY', KEYS[5], ARGV[2])
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
  return 1
end
if tonumber(available) < tonumber(ARGV[2]) then
  redis.call('SADD', KEYS[3], ARGV[1])
  redis.call('EXPIRE', KEYS[3], 172800)
  return 0
end
redis.call('DECRBY', KEYS[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 1
`;

// RESERVE_SCRIPT over a run of one account's requests (one hold key), in
// order: ARGV[1] their ids, ARGV[2] their amounts, each newline-joined. One
// call per run instead of per message: a campaign's batch is one run, and
// Redis's and the client's cost was per call. The balance and the hold are
// read once and written once; which ids are already pending or rejected is
// asked a thousand at a time. Returns one code per id, or -2 for all.
const RESERVE_RUN_SCRIPT = `
if redis.call('EXISTS', KEYS[4]) == 0 then return -2 end
local ids, amounts = {}, {}
for id in string.gmatch(ARGV[1], '[^\\n]+') do ids[#ids + 1] = id end
local texts = {}
for amount in string.gmatch(ARGV[2], '[^\\n]+') do
  texts[#texts + 1] = amount
  amounts[#amounts + 1] = tonumber(amount)
end
local pending, rejected = {}, {}
for from = 1, #ids, 1000 do
  local chunk = {unpack(ids, from, math.min(from + 999, #ids))}
  local p = redis.call('HMGET', KEYS[2], unpack(chunk))
  local r = redis.call('SMISMEMBER', KEYS[3], unpack(chunk))
  for k = 1, #chunk do
    pending[from + k - 1] = p[k]
    rejected[from + k - 1] = r[k]
  end
end
local available = redis.call('GET', KEYS[1])
if available then available = tonumber(available) end
local held = tonumber(redis.call('GET', KEYS[5]) or '-1')
local fromAvailable, fromHold = 0, 0
local reserved, refused = {}, {}
-- What this run decided per id: a second request of one id finds the first's reservation, as it would in Redis.
local decided = {}
local results = {}
local function take(i)
  reserved[#reserved + 1] = ids[i]
  reserved[#reserved + 1] = texts[i]
  decided[ids[i]] = 1
  results[i] = 1
end
for i = 1, #ids do
  local id, amount = ids[i], amounts[i]
  if pending[i] then
    results[i] = 1
  elseif rejected[i] == 1 then
    results[i] = 0
  elseif decided[id] then
    results[i] = decided[id]
  elseif not available then
    results[i] = -1
  elseif held >= amount then
    held = held - amount
    fromHold = fromHold + amount
    take(i)
  elseif available < amount then
    refused[#refused + 1] = id
    decided[id] = 0
    results[i] = 0
  else
    available = available - amount
    fromAvailable = fromAvailable + amount
    take(i)
  end
end
if fromHold > 0 then redis.call('DECRBY', KEYS[5], string.format('%.0f', fromHold)) end
if fromAvailable > 0 then redis.call('DECRBY', KEYS[1], string.format('%.0f', fromAvailable)) end
for from = 1, #reserved, 2000 do
  redis.call('HSET', KEYS[2], unpack(reserved, from, math.min(from + 1999, #reserved)))
end
for from = 1, #refused, 1000 do
  redis.call('SADD', KEYS[3], unpack(refused, from, math.min(from + 999, #refused)))
end
if #refused > 0 then redis.call('EXPIRE', KEYS[3], 172800) end
return results
`;

type GateKeys = [available: string, pending: string, rejected: string, ready: string, hold: string];
type GatePipeline = {
  volleyReserve(...keysAndArgs: [...GateKeys, messageId: string, amount: string]): void;
  volleyReserveRun(...keysAndArgs: [...GateKeys, messageIds: string, amounts: string]): void;
  exec(): Promise<[Error | null, unknown][] | null>;
};

function gatePipeline(redis: Redis): GatePipeline {
  if (!(redis as Redis & { volleyReserve?: unknown }).volleyReserve) {
    redis.defineCommand("volleyReserve", { numberOfKeys: 5, lua: RESERVE_SCRIPT });
    redis.defineCommand("volleyReserveRun", { numberOfKeys: 5, lua: RESERVE_RUN_SCRIPT });
  }
  return redis.pipeline() as unknown as GatePipeline;
}

/**
 * What the gate's `available` starts from in Postgres (alias `a` accounts,
 * `c` clients): a prepaid account's balance, or a postpaid account's credit
 * headroom, credit limit − unbilled usage (postpaid-manager adds applied
 * CDRs to unbilled usage as prepaid-manager debits the balance).
 */
export const GATE_BASE_SQL =
  "CASE WHEN c.billing_type = 'POSTPAID' THEN c.credit_limit - a.unbilled_usage ELSE a.balance END";

/**
 * Loads `available` for accounts Redis does not know yet, from Postgres.
 * SET NX: when several gates load the same account, the first value stands.
 */
export async function loadAvailable(redis: Redis, pool: pg.Pool, accountIds: string[]): Promise<void> {
  const unique = [...new Set(accountIds)];
  const existing = await redis.mget(unique.map(availableKey));
  const missing = unique.filter((_, i) => existing[i] === null);
  if (missing.length === 0) return;
  const { rows } = await pool.query<{ id: string; balance: string }>(
    `SELECT a.id, (${GATE_BASE_SQL})::text AS balance
     FROM accounts a JOIN clients c ON c.id = a.client_id WHERE a.id = ANY($1::text[])`,
    [missing],
  );
  const pipeline = redis.pipeline();
  for (const r of rows) pipeline.set(availableKey(r.id), r.balance, "NX");
  await pipeline.exec();
}

/** campaignId: the message's campaign, whose hold (if any) it draws from first. */
export type ReserveRequest = { accountId: string; messageId: string; amount: bigint; campaignId?: string | null };

const MAX_RUN = 2_000;

/**
 * The requests cut into runs for the gate's scripts, in order: consecutive requests of one account and one hold
 * share a run (so the runs, executed in order, reserve in the requests' order). An id RESERVE_RUN_SCRIPT cannot
 * carry newline-joined (empty, or holding a newline: never one Volley makes) goes alone.
 */
function runsOf(requests: ReserveRequest[]) {
  type Run = { keys: (namespace: string) => GateKeys; requests: ReserveRequest[]; hold: string; joinable: boolean };
  const runs: Run[] = [];
  let last: Run | undefined;
  for (const r of requests) {
    const hold = r.campaignId ? holdKey(r.campaignId) : NO_HOLD_KEY;
    const joinable = r.messageId !== "" && !r.messageId.includes("\n");
    const sameKeys = last?.hold === hold && last.requests[0]!.accountId === r.accountId;
    if (joinable && last?.joinable && sameKeys && last.requests.length < MAX_RUN) {
      last.requests.push(r);
      continue;
    }
    last = {
      hold,
      joinable,
      requests: [r],
      keys: (namespace) => [
        availableKey(r.accountId),
        pendingKey(r.accountId),
        rejectedKey(r.accountId),
        readyKey(namespace),
        hold,
      ],
    };
    runs.push(last);
  }
  return runs;
}

/**
 * Reserves each amount in order, atomically per request; true where it was
 * (or already had been) reserved. Throws BalancesNotReady when Redis has
 * lost the balances: nothing may be reserved until they are rebuilt.
 */
export async function reserve(
  redis: Redis,
  pool: pg.Pool,
  namespace: string,
  requests: ReserveRequest[],
): Promise<boolean[]> {
  if (requests.length === 0) return [];
  await loadAvailable(
    redis,
    pool,
    requests.map((r) => r.accountId),
  );
  const run = async (batch: ReserveRequest[]) => {
    const pipeline = gatePipeline(redis);
    const runs = runsOf(batch);
    for (const { keys, requests } of runs) {
      if (requests.length === 1)
        pipeline.volleyReserve(...keys(namespace), requests[0]!.messageId, requests[0]!.amount.toString());
      else
        pipeline.volleyReserveRun(
          ...keys(namespace),
          requests.map((r) => r.messageId).join("\n"),
          requests.map((r) => r.amount.toString()).join("\n"),
        );
    }
    const replies = (await pipeline.exec()) ?? [];
    return runs.flatMap(({ requests }, i) => {
      const [err, result] = replies[i]!;
      if (err) throw err;
      return Array.isArray(result) ? result.map(Number) : requests.map(() => Number(result));
    });
  };
  let results = await run(requests);
  if (results.includes(-2)) throw new BalancesNotReady("billing balances are not loaded in Redis");
  // An account evicted between loading and reserving: load and try those again.
  if (results.includes(-1)) {
    const again = requests.filter((_, i) => results[i] === -1);
    await loadAvailable(
      redis,
      pool,
      again.map((r) => r.accountId),
    );
    const retried = await run(again);
    let k = 0;
    results = results.map((r) => (r === -1 ? retried[k++]! : r));
    if (results.includes(-1)) throw new Error("account balance could not be loaded into Redis");
  }
  return results.map((r) => r === 1);
}

// HDELs each account's settled ids, given as one newline-joined argument per
// account (KEYS[i] ↔ ARGV[i]): a batch settles tens of thousands of ids, and
// the client's cost is per argument. unpack() is bounded by Lua's stack, so
// an account's ids are deleted a thousand at a time.
const SETTLE_SCRIPT = `
for i = 1, #KEYS do
  local ids = {}
  for id in string.gmatch(ARGV[i], '[^\\n]+') do
    ids[#ids + 1] = id
    if #ids == 1000 then
      redis.call('HDEL', KEYS[i], unpack(ids))
      ids = {}
    end
  end
  if #ids > 0 then redis.call('HDEL', KEYS[i], unpack(ids)) end
end
return 0
`;
const SETTLE_ACCOUNTS_PER_CALL = 500;

type SettleRedis = Redis & { volleySettle?: (numberOfKeys: number, ...keysThenIds: string[]) => Promise<unknown> };

/**
 * Called by the deduction services once CDRs are in Postgres: their reservations (held under the message id, which
 * is the CDR id) are settled.
 */
export async function settleReservations(redis: Redis, settled: { accountId: string; cdrId: string }[]): Promise<void> {
  if (settled.length === 0) return;
  const byAccount = new Map<string, string>();
  // An id holding a newline (never one Volley makes) cannot travel joined: it is deleted on its own.
  const odd: { accountId: string; cdrId: string }[] = [];
  for (const s of settled) {
    if (s.cdrId.includes("\n")) odd.push(s);
    else {
      const ids = byAccount.get(s.accountId);
      byAccount.set(s.accountId, ids === undefined ? s.cdrId : `${ids}\n${s.cdrId}`);
    }
  }
  const script = redis as SettleRedis;
  if (!script.volleySettle) redis.defineCommand("volleySettle", { lua: SETTLE_SCRIPT });
  const accounts = [...byAccount.keys()];
  const calls: Promise<unknown>[] = [];
  for (let i = 0; i < accounts.length; i += SETTLE_ACCOUNTS_PER_CALL) {
    const chunk = accounts.slice(i, i + SETTLE_ACCOUNTS_PER_CALL);
    calls.push(script.volleySettle!(chunk.length, ...chunk.map(pendingKey), ...chunk.map((a) => byAccount.get(a)!)));
  }
  for (const s of odd) calls.push(redis.hdel(pendingKey(s.accountId), s.cdrId));
  await Promise.all(calls);
}

/**
 * Moves an account's available balance by `amount` (positive: credit) after
 * Postgres has moved by the same amount (top-up, refund, invoice paid off,
 * credit limit raised). Only where the key exists and no rebuild is under
 * way: a missing key is loaded from Postgres, already updated, when first
 * needed, and a rebuild reads Postgres itself. A crash between the Postgres
 * commit and this call leaves Redis short by `amount` until the next rebuild:
 * the safe side, it never lets an account spend money it does not have.
 */
export async function moveAvailable(redis: Redis, namespace: string, accountId: string, amount: bigint): Promise<void> {
  if (amount === 0n) return;
  await redis.eval(
    "if redis.call('EXISTS', KEYS[1]) == 1 and redis.call('EXISTS', KEYS[2]) == 1 then return redis.call('INCRBY', KEYS[1], ARGV[1]) end return nil",
    2,
    availableKey(accountId),
    readyKey(namespace),
    amount.toString(),
  );
}

/**
 * What the console and the API show: the gate's figure while Redis holds
 * the balances, the settled Postgres balance otherwise (during a rebuild).
 */
export async function availableBalance(
  redis: Redis,
  pool: pg.Pool,
  namespace: string,
  accountId: string,
): Promise<bigint> {
  const [ready, cached] = await redis.mget(readyKey(namespace), availableKey(accountId));
  if (ready != null && cached != null) return BigInt(cached);
  const { rows } = await pool.query<{ balance: string }>(
    `SELECT (${GATE_BASE_SQL})::text AS balance FROM accounts a JOIN clients c ON c.id = a.client_id WHERE a.id = $1`,
    [accountId],
  );
  if (!rows[0]) throw new Error(`unknown account ${accountId}`);
  return BigInt(rows[0].balance);
}
