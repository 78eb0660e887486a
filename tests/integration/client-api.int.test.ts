import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reserve } from "@/server/billing/balance-gate";
import { handleBalanceRequest } from "@/server/client-api/balance";
import { generateApiKey, hashApiKey } from "@/server/client-api/keys";
import { DEMO_API_KEY } from "@/prisma/demo-data";
import { callerAs, createTestClient, createTestDeps } from "./helpers";

// The Client API's balance endpoint against real Postgres and Redis: keys are
// issued by operators through tRPC, stored only as hashes, answer with the
// exact balance of their own client and nobody else's, and stop working the
// moment they are revoked.

let deps: Awaited<ReturnType<typeof createTestDeps>>;

beforeAll(async () => {
  deps = await createTestDeps();
  // This run's namespace: the gate's balances are in Redis (as after a rebuild).
  await deps.redis.set(`billing:${deps.env.KAFKA_TOPIC_PREFIX}ready`, "test");
});
afterAll(async () => {
  await deps?.close();
});

function balanceRequest(headers: Record<string, string> = {}, query = "") {
  return handleBalanceRequest(
    deps.api,
    new Request(`http://127.0.0.1/api/v1/balance${query}`, { headers: { accept: "application/json", ...headers } }),
  );
}

async function expectUnauthorized(res: Response, message: RegExp) {
  expect(res.status).toBe(401);
  expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(body).toEqual({ error: { code: "UNAUTHORIZED", message: expect.stringMatching(message) } });
}

async function accountOf(clientId: string) {
  return deps.db.prisma.account.findFirstOrThrow({ where: { clientId } });
}

describe("client API keys and GET /api/v1/balance", () => {
  it("answers a key with its client's exact balance after a top-up, available from the gate", async () => {
    const client = await createTestClient(deps.api, { balance: 1_000n });
    const account = await accountOf(client.id);
    const operator = await callerAs(deps.api, "OPERATOR");
    const { key, apiKey } = await operator.apiKeys.create({ clientId: client.id, name: "  Billing dashboard " });
    expect(apiKey).toMatchObject({ clientId: client.id, name: "Billing dashboard", prefix: key.slice(0, 12) });

    // 300 reserved in the gate, not yet settled, then 25.00 topped up.
    expect(
      await reserve(deps.redis, deps.db.pool, deps.env.KAFKA_TOPIC_PREFIX, [
        { accountId: account.id, messageId: `m-${account.id}`, amount: 300n },
      ]),
    ).toEqual([true]);
    await operator.billing.adjust({ accountId: account.id, type: "TOPUP", amount: "2500", reason: "Wire 42" });

    const res = await balanceRequest({ authorization: `Bearer ${key}` });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.json()).toEqual({
      clientId: client.id,
      accountId: account.id,
      billingType: "PREPAID",
      clientStatus: "ACTIVE",
      currency: "USD",
      balance: "3500",
      available: "3200",
      lowBalanceThreshold: "0",
      isLow: false,
      formatted: { balance: "35.00 USD", available: "32.00 USD", lowBalanceThreshold: "0.00 USD" },
    });
    // The console's figure is the same.
    expect(await operator.billing.balance({ accountId: account.id })).toMatchObject({ available: 3_200n });

    // X-Api-Key works too.
    const viaHeader = await balanceRequest({ "x-api-key": key });
    expect(await viaHeader.json()).toMatchObject({ accountId: account.id, available: "3200" });

    // The use is recorded once a minute, not once a request.
    const used = await deps.db.prisma.apiKey.findUniqueOrThrow({ where: { id: apiKey.id } });
    expect(used.lastUsedAt).toBeInstanceOf(Date);
    await balanceRequest({ authorization: `Bearer ${key}` });
    const again = await deps.db.prisma.apiKey.findUniqueOrThrow({ where: { id: apiKey.id } });
    expect(again.lastUsedAt).toEqual(used.lastUsedAt);
    // An hour-old stamp is refreshed.
    await deps.db.prisma.apiKey.update({
      where: { id: apiKey.id },
      data: { lastUsedAt: new Date(Date.now() - 3_600_000) },
    });
    await balanceRequest({ authorization: `Bearer ${key}` });
    const refreshed = await deps.db.prisma.apiKey.findUniqueOrThrow({ where: { id: apiKey.id } });
    expect(Date.now() - refreshed.lastUsedAt!.getTime()).toBeLessThan(60_000);
  });

  it("stores only the key's hash and shows it once", async () => {
    const client = await createTestClient(deps.api);
    const operator = await callerAs(deps.api, "OPERATOR");
    const { key, apiKey } = await operator.apiKeys.create({ clientId: client.id, name: "ERP" });

    const row = await deps.db.prisma.apiKey.findUniqueOrThrow({ where: { id: apiKey.id } });
    expect(row.keyHash).toBe(hashApiKey(key));
    expect(row.prefix).toBe(key.slice(0, 12));
    const secret = key.slice(12);
    const { rows } = await deps.db.pool.query("SELECT * FROM api_keys WHERE id = $1", [apiKey.id]);
    expect(JSON.stringify(rows[0])).not.toContain(secret);

    const listed = await operator.apiKeys.list({ clientId: client.id });
    expect(listed).toHaveLength(1);
    expect(Object.keys(listed[0]!).sort()).toEqual(
      ["clientId", "createdAt", "id", "lastUsedAt", "name", "prefix", "revokedAt"].sort(),
    );
    expect(JSON.stringify(listed)).not.toContain(secret);

    const audit = await deps.db.prisma.auditEntry.findFirstOrThrow({
      where: { action: "api-key.create", target: client.id },
    });
    expect(audit.details).toEqual({ apiKeyId: apiKey.id, name: "ERP", prefix: apiKey.prefix });
    expect(JSON.stringify(audit.details)).not.toContain(secret);
  });

  it("refuses missing, malformed, unknown and revoked keys with 401", async () => {
    const client = await createTestClient(deps.api);
    const operator = await callerAs(deps.api, "OPERATOR");
    const { key, apiKey } = await operator.apiKeys.create({ clientId: client.id, name: "Revoked soon" });

    await expectUnauthorized(await balanceRequest(), /^Missing API key/);
    await expectUnauthorized(await balanceRequest({ authorization: `Basic ${key}` }), /^Malformed API key/);
    await expectUnauthorized(await balanceRequest({ authorization: "Bearer nope" }), /^Malformed API key/);
    await expectUnauthorized(
      await balanceRequest({ authorization: `Bearer ${generateApiKey().key}` }),
      /^Invalid API key$/,
    );
    // The right prefix with a wrong secret.
    const forged = key.slice(0, 12) + generateApiKey().key.slice(12);
    await expectUnauthorized(await balanceRequest({ authorization: `Bearer ${forged}` }), /^Invalid API key$/);

    expect((await balanceRequest({ authorization: `Bearer ${key}` })).status).toBe(200);
    const revoked = await operator.apiKeys.revoke({ id: apiKey.id });
    expect(revoked.revokedAt).toBeInstanceOf(Date);
    await expectUnauthorized(await balanceRequest({ authorization: `Bearer ${key}` }), /revoked/);
    await expectUnauthorized(await balanceRequest({ "x-api-key": key }), /revoked/);

    // Revoking again changes nothing and is audited once.
    expect((await operator.apiKeys.revoke({ id: apiKey.id })).revokedAt).toEqual(revoked.revokedAt);
    expect(await deps.db.prisma.auditEntry.count({ where: { action: "api-key.revoke", target: client.id } })).toBe(1);
    await expect(operator.apiKeys.revoke({ id: "no-such-key" })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("never shows one client's balance to another client's key", async () => {
    const a = await createTestClient(deps.api, { balance: 1_111n });
    const b = await createTestClient(deps.api, { balance: 2_222n });
    const [accountA, accountB] = [await accountOf(a.id), await accountOf(b.id)];
    const operator = await callerAs(deps.api, "OPERATOR");
    const keyA = (await operator.apiKeys.create({ clientId: a.id, name: "A" })).key;
    const keyB = (await operator.apiKeys.create({ clientId: b.id, name: "B" })).key;

    expect(await (await balanceRequest({ authorization: `Bearer ${keyA}` })).json()).toMatchObject({
      clientId: a.id,
      accountId: accountA.id,
      balance: "1111",
    });
    expect(await (await balanceRequest({ authorization: `Bearer ${keyB}` })).json()).toMatchObject({
      clientId: b.id,
      accountId: accountB.id,
      balance: "2222",
    });
    // Naming B's account with A's key is the same as naming no account at all.
    const cross = await balanceRequest({ authorization: `Bearer ${keyA}` }, `?accountId=${accountB.id}`);
    expect(cross.status).toBe(404);
    expect(await cross.json()).toEqual({ error: { code: "NOT_FOUND", message: "Account not found" } });
    const own = await balanceRequest({ authorization: `Bearer ${keyA}` }, `?accountId=${accountA.id}`);
    expect(await own.json()).toMatchObject({ accountId: accountA.id, balance: "1111" });
    // Keys are listed per client.
    expect((await operator.apiKeys.list({ clientId: a.id })).map((k) => k.name)).toEqual(["A"]);
  });

  it("gives a postpaid client its credit limit, unbilled usage and headroom", async () => {
    const client = await createTestClient(deps.api, { billingType: "POSTPAID", balance: 0n });
    await deps.db.prisma.client.update({ where: { id: client.id }, data: { creditLimit: 500_000n } });
    const account = await deps.db.prisma.account.update({
      where: { id: (await accountOf(client.id)).id },
      data: { unbilledUsage: 123_456n },
    });
    const operator = await callerAs(deps.api, "OPERATOR");
    const { key } = await operator.apiKeys.create({ clientId: client.id, name: "Postpaid" });

    const res = await balanceRequest({ authorization: `Bearer ${key}` });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      accountId: account.id,
      billingType: "POSTPAID",
      creditLimit: "500000",
      unbilledUsage: "123456",
      available: "376544",
      formatted: { creditLimit: "5,000.00 USD", unbilledUsage: "1,234.56 USD", available: "3,765.44 USD" },
    });
  });

  it("lets a suspended client read its balance", async () => {
    const client = await createTestClient(deps.api, { balance: 777n });
    const operator = await callerAs(deps.api, "OPERATOR");
    const { key } = await operator.apiKeys.create({ clientId: client.id, name: "Suspended" });
    await operator.clients.update({ id: client.id, status: "SUSPENDED" });
    const res = await balanceRequest({ authorization: `Bearer ${key}` });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ clientStatus: "SUSPENDED", balance: "777" });
  });

  it("lets viewers list keys but not create or revoke them", async () => {
    const client = await createTestClient(deps.api);
    const operator = await callerAs(deps.api, "OPERATOR");
    const viewer = await callerAs(deps.api, "VIEWER");
    const { apiKey } = await operator.apiKeys.create({ clientId: client.id, name: "Seen" });
    expect((await viewer.apiKeys.list({ clientId: client.id })).map((k) => k.id)).toEqual([apiKey.id]);
    await expect(viewer.apiKeys.create({ clientId: client.id, name: "x" })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(viewer.apiKeys.revoke({ id: apiKey.id })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(operator.apiKeys.create({ clientId: client.id, name: "   " })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    await expect(operator.apiKeys.create({ clientId: "no-such-client", name: "x" })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect((await callerAs(deps.api, null)).apiKeys.list({ clientId: client.id })).rejects.toMatchObject({
      code: "UNAUTHORIZED",
    });
  });

  it("limits each key to API_RATE_LIMIT_PER_SECOND calls a second: 429 with Retry-After, then calls pass again", async () => {
    const client = await createTestClient(deps.api);
    const operator = await callerAs(deps.api, "OPERATOR");
    const first = await operator.apiKeys.create({ clientId: client.id, name: "Busy" });
    const second = await operator.apiKeys.create({ clientId: client.id, name: "Other" });
    const limited = { ...deps.api, env: { ...deps.api.env, API_RATE_LIMIT_PER_SECOND: 3 } };
    const call = (key: string) =>
      handleBalanceRequest(
        limited,
        new Request("http://127.0.0.1/api/v1/balance", { headers: { authorization: `Bearer ${key}` } }),
      );

    const burst = await Promise.all(Array.from({ length: 8 }, () => call(first.key)));
    const statuses = burst.map((r) => r.status);
    // The bucket holds 3 and refills one every 333 ms: a slow burst may get a fourth through.
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(3);
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(4);
    expect(statuses.filter((s) => s !== 200).every((s) => s === 429)).toBe(true);
    const refused = burst.find((r) => r.status === 429)!;
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(await refused.json()).toEqual({
      error: { code: "TOO_MANY_REQUESTS", message: expect.stringMatching(/limit of 3 calls a second/) },
    });
    // Per key: the client's other key is not held back.
    expect((await call(second.key)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await call(first.key)).status).toBe(200);
  });

  it("answers the seeded demo key with Acme Retail's balance, as the README shows", async () => {
    const acme = await deps.db.prisma.client.findUniqueOrThrow({ where: { name: "Acme Retail" } });
    const res = await balanceRequest({ authorization: `Bearer ${DEMO_API_KEY}` });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ clientId: acme.id, billingType: "PREPAID", currency: "USD" });
  });
});
