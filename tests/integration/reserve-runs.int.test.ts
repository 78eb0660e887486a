import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  availableKey,
  holdKey,
  pendingKey,
  readyKey,
  reserve,
  type ReserveRequest,
} from "@/server/billing/balance-gate";
import { createTestDeps } from "./helpers";

// The gate's reservations against the real Redis: consecutive requests of one
// account and hold go in one script call (a run), and the outcome must be the
// one of reserving each request on its own, in order. A model of that order
// decides what every request and every key should come to.

let deps: Awaited<ReturnType<typeof createTestDeps>>;
const namespace = `it-runs-${randomUUID().slice(0, 8)}-`;
const run = randomUUID().slice(0, 8);
const accounts = ["a", "b", "c"].map((x) => `runs-${run}-${x}`);
const campaigns = ["x", "y"].map((x) => `runs-${run}-${x}`);
const rejectedKey = (accountId: string) => `account:${accountId}:rejected`;
// Past 10^14, where a Lua number printed with %.14g would lose digits; below 2^53, where doubles stay exact.
const BIG = 3_000_000_000_000_123n;

beforeAll(async () => {
  deps = await createTestDeps();
});

afterAll(async () => {
  await deps.redis.del(
    readyKey(namespace),
    ...accounts.flatMap((a) => [availableKey(a), pendingKey(a), rejectedKey(a)]),
    ...campaigns.map(holdKey),
  );
  await deps.close();
});

type State = {
  available: Map<string, bigint>;
  hold: Map<string, bigint>;
  pending: Map<string, Map<string, bigint>>;
  rejected: Map<string, Set<string>>;
};

/** RESERVE_SCRIPT's rules, one request after the other. */
function model(state: State, requests: ReserveRequest[]): boolean[] {
  return requests.map((r) => {
    const pending = state.pending.get(r.accountId)!;
    const rejected = state.rejected.get(r.accountId)!;
    if (pending.has(r.messageId)) return true;
    if (rejected.has(r.messageId)) return false;
    const held = r.campaignId ? state.hold.get(r.campaignId) : undefined;
    if (held !== undefined && held >= r.amount) {
      state.hold.set(r.campaignId!, held - r.amount);
    } else {
      const available = state.available.get(r.accountId)!;
      if (available < r.amount) {
        rejected.add(r.messageId);
        return false;
      }
      state.available.set(r.accountId, available - r.amount);
    }
    pending.set(r.messageId, r.amount);
    return true;
  });
}

describe("gate reservations in runs", () => {
  it("reserve as one request at a time would, in order: holds first, duplicates, replays, odd ids, big amounts", async () => {
    const state: State = {
      available: new Map([
        [accounts[0]!, 5_000n],
        [accounts[1]!, BIG * 3n],
        [accounts[2]!, 40n],
      ]),
      hold: new Map([[campaigns[0]!, 1_200n]]),
      pending: new Map(accounts.map((a) => [a, new Map<string, bigint>()])),
      rejected: new Map(accounts.map((a) => [a, new Set<string>()])),
    };
    // Reserved and refused by an earlier batch: a redelivery finds them.
    state.pending.get(accounts[0]!)!.set("m-earlier", 7n);
    state.rejected.get(accounts[0]!)!.add("m-refused");
    const r = deps.redis;
    await r.set(readyKey(namespace), "1");
    for (const a of accounts) await r.set(availableKey(a), state.available.get(a)!.toString());
    await r.set(holdKey(campaigns[0]!), "1200");
    await r.hset(pendingKey(accounts[0]!), "m-earlier", "7");
    await r.sadd(rejectedKey(accounts[0]!), "m-refused");

    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    const requests: ReserveRequest[] = [];
    for (let i = 0; i < 3_000; i++) {
      // Long stretches of one account and campaign (runs), broken now and then.
      const block = Math.floor(i / 250);
      const accountId = accounts[(block + (random(10) === 0 ? 1 : 0)) % accounts.length]!;
      const campaignId = block % 2 === 0 ? campaigns[0]! : random(3) === 0 ? campaigns[1]! : null;
      const amount = accountId === accounts[1] ? BIG : BigInt(1 + random(9));
      const messageId = i % 97 === 0 && i > 0 ? `m-${i - 1}` : i % 401 === 0 ? `odd\nid-${i}` : `m-${i}`;
      requests.push({ accountId, messageId, amount, campaignId });
    }
    requests.splice(10, 0, { accountId: accounts[0]!, messageId: "m-earlier", amount: 7n, campaignId: null });
    requests.splice(20, 0, { accountId: accounts[0]!, messageId: "m-refused", amount: 1n, campaignId: null });

    const expected = model(state, requests);
    const results = await reserve(r, deps.db.pool, namespace, requests);

    expect(results).toEqual(expected);
    expect(expected.filter(Boolean).length).toBeGreaterThan(500);
    expect(expected.filter((x) => !x).length).toBeGreaterThan(500);
    for (const a of accounts) {
      expect(BigInt((await r.get(availableKey(a)))!), `available of ${a}`).toBe(state.available.get(a));
      const pending = await r.hgetall(pendingKey(a));
      expect(new Map(Object.entries(pending).map(([id, v]) => [id, BigInt(v)])), `pending of ${a}`).toEqual(
        state.pending.get(a),
      );
      expect(new Set(await r.smembers(rejectedKey(a))), `rejected of ${a}`).toEqual(state.rejected.get(a));
    }
    expect(await r.get(holdKey(campaigns[0]!))).toBe(state.hold.get(campaigns[0]!)!.toString());
    expect(await r.exists(holdKey(campaigns[1]!))).toBe(0);
  });

  it("reserves nothing while the balances are not loaded", async () => {
    await deps.redis.del(readyKey(namespace));
    const before = await deps.redis.get(availableKey(accounts[0]!));
    const requests = ["n-1", "n-2", "n-3"].map((messageId) => ({ accountId: accounts[0]!, messageId, amount: 1n }));
    await expect(reserve(deps.redis, deps.db.pool, namespace, requests)).rejects.toThrow(/not loaded/);
    expect(await deps.redis.get(availableKey(accounts[0]!))).toBe(before);
    expect(await deps.redis.hexists(pendingKey(accounts[0]!), "n-1")).toBe(0);
  });
});
