import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiDeps } from "@/server/api/deps";
import { closeDb, createDb } from "@/server/db";
import { SECRET_MASK } from "@/server/delivery/admin/schemas";
import { providerStatusKey } from "@/server/delivery/keys";
import { env } from "@/server/env";
import { createLogger } from "@/server/logger";
import { createRedis } from "@/server/redis";
import { callerAs, createTestClient } from "./helpers";

// Admins manage carrier connections and routing from the Providers page;
// everyone else only reads. Secrets never leave the server, and the live
// figures are what bulk-proc last wrote to the provider's Redis hash.
//
// Other suites share volley_test and may run bulk-proc against it: every
// provider here is created disabled after its first check, rules are scoped
// to this file's own client, and everything is removed at the end.

type Deps = { env: ApiDeps["env"]; db: ApiDeps["db"]; redis: ApiDeps["redis"]; api: ApiDeps; close(): Promise<void> };
let deps: Deps;
const providerIds: string[] = [];
const ruleIds: string[] = [];

const smppSettings = (password: string) => ({
  host: "127.0.0.1",
  port: 2775,
  systemId: "volley",
  password,
  windowSize: 10,
});

// Real Postgres and Redis; no Kafka: these procedures never publish, so this
// file creates no topics on the shared broker (createTestDeps would).
beforeAll(async () => {
  const e = env();
  const db = createDb({ url: e.DATABASE_URL, poolSize: 3, randomPageCost: e.DATABASE_RANDOM_PAGE_COST });
  const redis = createRedis(e.REDIS_URL);
  const api: ApiDeps = {
    env: e,
    log: createLogger("test"),
    db,
    redis,
    producer: () => Promise.reject(new Error("providers administration never publishes")),
  };
  deps = {
    env: e,
    db,
    redis,
    api,
    async close() {
      redis.disconnect();
      await closeDb(db);
    },
  };
});
afterAll(async () => {
  if (deps) {
    await deps.db.prisma.routingRule.deleteMany({ where: { id: { in: ruleIds } } });
    await deps.db.prisma.provider.deleteMany({ where: { id: { in: providerIds } } });
    if (providerIds.length > 0)
      await deps.redis.del(...providerIds.map((id) => providerStatusKey(deps.env.KAFKA_TOPIC_PREFIX, id)));
  }
  await deps?.close();
});

async function auditActions(target: string) {
  const entries = await deps.db.prisma.auditEntry.findMany({ where: { target }, orderBy: { id: "asc" } });
  return entries.map((e) => e.action);
}

describe("providers administration", () => {
  it("lets an admin create, update and disable providers, with secrets masked and kept", async () => {
    const admin = await callerAs(deps.api, "ADMIN");
    const name = `smpp-${randomUUID().slice(0, 8)}`;
    const created = await admin.providers.create({
      name,
      kind: "SMPP",
      maxTps: 100,
      enabled: false,
      settings: smppSettings("s3cret-pw"),
    });
    providerIds.push(created.id);
    expect(created).toMatchObject({ name, kind: "SMPP", maxTps: 100, enabled: false, live: null });
    expect(created.settings).toMatchObject({ host: "127.0.0.1", port: 2775, password: SECRET_MASK });

    // Stored as given (with the kind's defaults), secret included.
    const row = await deps.db.prisma.provider.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.settings).toMatchObject({ systemId: "volley", password: "s3cret-pw", windowSize: 10 });

    const http = await admin.providers.create({
      name: `http-${randomUUID().slice(0, 8)}`,
      kind: "HTTP",
      maxTps: 0,
      enabled: false,
      settings: {
        url: "https://carrier.example/sms",
        authHeader: "X-Api-Key",
        authValue: "k-123",
        fieldMapping: { to: "msisdn" },
        receiptToken: "rt-456-receipt-token",
      },
    });
    providerIds.push(http.id);

    // Any signed-in role reads the list; no secret appears in it.
    const viewer = await callerAs(deps.api, "VIEWER");
    const listed = await viewer.providers.list();
    const mine = listed.filter((p) => providerIds.includes(p.id));
    expect(mine.map((p) => p.id).sort()).toEqual([...providerIds].sort());
    const serialized = JSON.stringify(mine);
    for (const secret of ["s3cret-pw", "k-123", "rt-456-receipt-token"]) expect(serialized).not.toContain(secret);
    expect(mine.find((p) => p.id === http.id)!.settings).toMatchObject({
      authValue: SECRET_MASK,
      receiptToken: SECRET_MASK,
      fieldMapping: { to: "msisdn" },
    });

    // Saving the form with the password left empty keeps it; other fields change.
    const updated = await admin.providers.update({
      id: created.id,
      name,
      kind: "SMPP",
      maxTps: 250,
      enabled: false,
      settings: { ...created.settings, host: "10.0.0.5", windowSize: 20, password: "" },
    });
    expect(updated).toMatchObject({ maxTps: 250, settings: { host: "10.0.0.5", windowSize: 20 } });
    expect((await deps.db.prisma.provider.findUniqueOrThrow({ where: { id: created.id } })).settings).toMatchObject({
      host: "10.0.0.5",
      password: "s3cret-pw",
    });
    // A new password replaces it.
    await admin.providers.update({
      id: created.id,
      name,
      kind: "SMPP",
      maxTps: 250,
      enabled: false,
      settings: { ...updated.settings, password: "new-pw" },
    });
    expect((await deps.db.prisma.provider.findUniqueOrThrow({ where: { id: created.id } })).settings).toMatchObject({
      password: "new-pw",
    });

    await admin.providers.setEnabled({ id: created.id, enabled: true });
    expect((await admin.providers.get({ id: created.id })).enabled).toBe(true);
    await admin.providers.setEnabled({ id: created.id, enabled: false });
    expect((await deps.db.prisma.provider.findUniqueOrThrow({ where: { id: created.id } })).enabled).toBe(false);

    expect(await auditActions(created.id)).toEqual([
      "provider.create",
      "provider.update",
      "provider.update",
      "provider.enable",
      "provider.disable",
    ]);
    const audits = await deps.db.prisma.auditEntry.findMany({ where: { target: { in: providerIds } } });
    for (const secret of ["s3cret-pw", "new-pw", "k-123", "rt-456-receipt-token"])
      expect(JSON.stringify(audits.map((a) => a.details))).not.toContain(secret);

    // Names are unique.
    await expect(
      admin.providers.create({ name, kind: "SMPP", maxTps: 0, enabled: false, settings: smppSettings("x") }),
    ).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringContaining(name) });
  });

  it("refuses invalid settings with a message naming the fields", async () => {
    const admin = await callerAs(deps.api, "ADMIN");
    const bad = admin.providers.create({
      name: `bad-${randomUUID().slice(0, 8)}`,
      kind: "SMPP",
      maxTps: 0,
      enabled: false,
      settings: { host: "", port: 70000, systemId: "volley", password: "" },
    });
    await expect(bad).rejects.toMatchObject({ code: "BAD_REQUEST" });
    const message = (await bad.catch((e: Error) => e.message)) as string;
    expect(message).toMatch(/Invalid SMPP settings/);
    expect(message).toMatch(/host/);
    expect(message).toMatch(/port/);

    await expect(
      admin.providers.create({
        name: `bad-${randomUUID().slice(0, 8)}`,
        kind: "HTTP",
        maxTps: 0,
        enabled: false,
        settings: { url: "not a url" },
      }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/Invalid HTTP settings.*url/) });

    await expect(
      admin.providers.create({ name: "", kind: "SMPP", maxTps: -1, enabled: false, settings: smppSettings("x") }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(
      admin.providers.update({
        id: "no-such-provider",
        name: "x",
        kind: "SMPP",
        maxTps: 0,
        enabled: false,
        settings: smppSettings("x"),
      }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("shows what the worker last wrote to Redis, and no worker when there is no hash", async () => {
    const admin = await callerAs(deps.api, "ADMIN");
    const provider = await admin.providers.create({
      name: `live-${randomUUID().slice(0, 8)}`,
      kind: "SMPP",
      maxTps: 50,
      enabled: false,
      settings: smppSettings("pw"),
    });
    providerIds.push(provider.id);
    const operator = await callerAs(deps.api, "OPERATOR");
    expect((await operator.providers.get({ id: provider.id })).live).toBeNull();

    const key = providerStatusKey(deps.env.KAFKA_TOPIC_PREFIX, provider.id);
    expect(key).toBe(`delivery:${deps.env.KAFKA_TOPIC_PREFIX}provider:${provider.id}`);
    await deps.redis
      .multi()
      .hset(key, {
        state: "bound",
        binds: "3",
        bindsBound: "2",
        windowInUse: "7",
        windowSize: "10",
        maxTps: "50",
        queued: "42",
        submittedTotal: "12345",
        errorsTotal: "3",
        measuredTps: "48.5",
        worker: "bulk-proc-1",
        updatedAt: "2026-11-24T04:00:00.000Z",
      })
      .expire(key, 30)
      .exec();

    const listed = (await operator.providers.list()).find((p) => p.id === provider.id);
    expect(listed?.live).toEqual({
      state: "bound",
      binds: 3,
      bindsBound: 2,
      windowInUse: 7,
      windowSize: 10,
      maxTps: 50,
      queued: 42,
      submittedTotal: 12345,
      errorsTotal: 3,
      measuredTps: 48.5,
      worker: "bulk-proc-1",
      updatedAt: new Date("2026-11-24T04:00:00.000Z"),
    });

    await deps.redis.hset(key, "state", "connecting");
    expect((await operator.providers.get({ id: provider.id })).live?.state).toBe("connecting");
    await deps.redis.del(key);
    expect((await operator.providers.get({ id: provider.id })).live).toBeNull();
  });

  it("lets an admin manage routing rules that name existing providers", async () => {
    const admin = await callerAs(deps.api, "ADMIN");
    const client = await createTestClient(deps.api);
    const [a, b] = await Promise.all(
      ["a", "b"].map((s) =>
        admin.providers.create({
          name: `route-${s}-${randomUUID().slice(0, 8)}`,
          kind: "SMPP",
          maxTps: 0,
          enabled: false,
          settings: smppSettings("pw"),
        }),
      ),
    );
    providerIds.push(a!.id, b!.id);

    const first = await admin.providers.rules.create({
      clientId: client.id,
      prefix: "44 7",
      category: "MARKETING",
      providerIds: [a!.id, b!.id],
      enabled: true,
    });
    ruleIds.push(first.id);
    expect(first).toMatchObject({ prefix: "+447", category: "MARKETING", providerIds: [a!.id, b!.id] });
    const second = await admin.providers.rules.create({
      clientId: client.id,
      prefix: "",
      category: null,
      providerIds: [b!.id],
      enabled: true,
    });
    ruleIds.push(second.id);
    // Without a position a rule goes last.
    expect(second.position).toBeGreaterThan(first.position);

    const viewer = await callerAs(deps.api, "VIEWER");
    const listed = (await viewer.providers.rules.list()).filter((r) => r.clientId === client.id);
    expect(listed.map((r) => r.id)).toEqual([first.id, second.id]);
    expect(listed[0]).toMatchObject({
      clientName: client.name,
      providers: [
        { id: a!.id, name: a!.name },
        { id: b!.id, name: b!.name },
      ],
    });

    const updated = await admin.providers.rules.update({
      id: first.id,
      clientId: client.id,
      prefix: "+44",
      category: null,
      providerIds: [b!.id, a!.id],
      position: first.position,
      enabled: false,
    });
    expect(updated).toMatchObject({ prefix: "+44", category: null, providerIds: [b!.id, a!.id], enabled: false });

    await admin.providers.rules.reorder({ ids: [second.id, first.id] });
    const reordered = await deps.db.prisma.routingRule.findMany({ where: { id: { in: [first.id, second.id] } } });
    expect(Object.fromEntries(reordered.map((r) => [r.id, r.position]))).toEqual({ [second.id]: 0, [first.id]: 1 });

    // Unknown providers, an unknown client and an empty list are refused; nothing is written.
    await expect(
      admin.providers.rules.create({
        clientId: client.id,
        prefix: "",
        category: null,
        providerIds: [a!.id, "no-such-provider"],
        enabled: true,
      }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("no-such-provider") });
    await expect(
      admin.providers.rules.create({
        clientId: "no-such-client",
        prefix: "",
        category: null,
        providerIds: [a!.id],
        enabled: true,
      }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: "Unknown client" });
    await expect(
      admin.providers.rules.create({
        clientId: client.id,
        prefix: "+44x",
        category: null,
        providerIds: [],
        enabled: true,
      }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
    expect(await deps.db.prisma.routingRule.count({ where: { clientId: client.id } })).toBe(2);

    await admin.providers.rules.delete({ id: second.id });
    expect(await deps.db.prisma.routingRule.findUnique({ where: { id: second.id } })).toBeNull();
    await expect(admin.providers.rules.delete({ id: second.id })).rejects.toMatchObject({ code: "NOT_FOUND" });

    expect(await auditActions(first.id)).toEqual(["routing-rule.create", "routing-rule.update"]);
    expect(await auditActions(second.id)).toEqual(["routing-rule.create", "routing-rule.delete"]);
  });

  it("forbids operators and viewers every change, and anonymous callers every read", async () => {
    const admin = await callerAs(deps.api, "ADMIN");
    const provider = await admin.providers.create({
      name: `ro-${randomUUID().slice(0, 8)}`,
      kind: "SMPP",
      maxTps: 0,
      enabled: false,
      settings: smppSettings("pw"),
    });
    providerIds.push(provider.id);
    const client = await createTestClient(deps.api);
    const rule = await admin.providers.rules.create({
      clientId: client.id,
      prefix: "",
      category: null,
      providerIds: [provider.id],
      enabled: true,
    });
    ruleIds.push(rule.id);

    for (const role of ["OPERATOR", "VIEWER"] as const) {
      const caller = await callerAs(deps.api, role);
      const attempts = [
        caller.providers.create({
          name: `x-${randomUUID()}`,
          kind: "SMPP",
          maxTps: 0,
          enabled: false,
          settings: smppSettings("pw"),
        }),
        caller.providers.update({
          id: provider.id,
          name: provider.name,
          kind: "SMPP",
          maxTps: 999,
          enabled: true,
          settings: smppSettings("pw"),
        }),
        caller.providers.setEnabled({ id: provider.id, enabled: true }),
        caller.providers.rules.create({
          clientId: client.id,
          prefix: "",
          category: null,
          providerIds: [provider.id],
          enabled: true,
        }),
        caller.providers.rules.update({
          id: rule.id,
          clientId: null,
          prefix: "",
          category: null,
          providerIds: [provider.id],
          position: 0,
          enabled: true,
        }),
        caller.providers.rules.delete({ id: rule.id }),
        caller.providers.rules.reorder({ ids: [rule.id] }),
      ];
      for (const attempt of attempts) await expect(attempt).rejects.toMatchObject({ code: "FORBIDDEN" });
      // Reading is allowed.
      expect((await caller.providers.get({ id: provider.id })).name).toBe(provider.name);
      expect((await caller.providers.rules.list()).some((r) => r.id === rule.id)).toBe(true);
    }
    // Nothing changed.
    expect(await deps.db.prisma.provider.findUniqueOrThrow({ where: { id: provider.id } })).toMatchObject({
      enabled: false,
      maxTps: 0,
    });
    expect(await deps.db.prisma.routingRule.findUniqueOrThrow({ where: { id: rule.id } })).toMatchObject({
      clientId: client.id,
    });
    expect(await deps.db.prisma.routingRule.count({ where: { clientId: client.id } })).toBe(1);

    const anonymous = await callerAs(deps.api, null);
    await expect(anonymous.providers.list()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(anonymous.providers.rules.list()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });

  it("counts the messages parked for want of a provider, by reason, for this deployment's topics only", async () => {
    const viewer = await callerAs(deps.api, "VIEWER");
    const before = await viewer.providers.parked();
    const tag = randomUUID().slice(0, 8);
    const topic = `${deps.env.KAFKA_TOPIC_PREFIX}send-low`;
    const park = (id: string, reason: string, parkTopic = topic) =>
      deps.db.prisma.parkedSend.create({
        data: { messageId: `parked-${tag}-${id}`, topic: parkTopic, payload: {}, reason },
      });
    await park("1", `DOWN_${tag}`);
    await park("2", `DOWN_${tag}`);
    await park("3", `THROTTLED_${tag}`);
    await park("4", `ELSEWHERE_${tag}`, `other-deployment-${tag}-send-low`);
    try {
      const after = await viewer.providers.parked();
      expect(after.total).toBe(before.total + 3);
      expect(after.byReason).toEqual(
        expect.arrayContaining([
          { reason: `DOWN_${tag}`, count: 2 },
          { reason: `THROTTLED_${tag}`, count: 1 },
        ]),
      );
      expect(after.byReason.some((r) => r.reason === `ELSEWHERE_${tag}`)).toBe(false);
      expect(after.oldestParkedAt).not.toBeNull();
    } finally {
      await deps.db.prisma.parkedSend.deleteMany({ where: { messageId: { startsWith: `parked-${tag}-` } } });
    }
    expect((await viewer.providers.parked()).total).toBe(before.total);
    await expect((await callerAs(deps.api, null)).providers.parked()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });
});
