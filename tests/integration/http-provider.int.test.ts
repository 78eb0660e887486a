import { randomUUID } from "node:crypto";
import type { Prisma } from "@prisma/client";
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Redis } from "ioredis";
import { WriteFence } from "@/server/delivery/fence";
import { createHttpProvider, type HttpProvider } from "@/server/delivery/http/adapter";
import type { HttpProviderSettingsInput } from "@/server/delivery/http/schemas";
import { handleReceiptWebhook } from "@/server/delivery/http/webhook";
import type { OutboundSms, SubmitResult } from "@/server/delivery/provider";
import { env } from "@/server/env";
import { createLogger } from "@/server/logger";
import { createRedis } from "@/server/redis";
import { TOPICS, type MessageStatusEvent } from "@/server/kafka/topics";
import { createTestDeps, readTopic, statusEventsOnTopic } from "./helpers";

// The HTTP provider adapter against a real HTTP server in this process acting as the carrier's API (it records every
// request and answers as each test tells it to), and the receipt webhook against the real Postgres, Redis and Kafka.

const log = createLogger("http-provider-test");
const TOKEN = `tok-${randomUUID()}`;

type Recorded = { at: number; headers: IncomingMessage["headers"]; body: Record<string, unknown>; url: string };
/** How the fake provider answers one request; by default 200 with a fresh id. */
type Behaviour = (
  req: Recorded,
  nth: number,
) => { status: number; headers?: Record<string, string>; body?: unknown; delayMs?: number };

class FakeProvider {
  readonly requests: Recorded[] = [];
  /** Behaviour per Volley message id (the body's `reference`). */
  readonly behaviours = new Map<string, Behaviour>();
  inFlight = 0;
  maxInFlight = 0;
  private nextId = 1;
  private constructor(readonly server: Server) {}

  static async start(port = 0): Promise<FakeProvider> {
    let fake: FakeProvider | undefined = undefined;
    const server = createServer((req, res) => void fake!.handle(req, res));
    fake = new FakeProvider(server);
    server.listen(port, "127.0.0.1");
    await once(server, "listening");
    return fake;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/v1/sms`;
  }

  requestsFor(id: string): Recorded[] {
    return this.requests.filter((r) => r.body.reference === id);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const recorded: Recorded = {
        at: Date.now(),
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>,
        url: req.url ?? "",
      };
      this.requests.push(recorded);
      const id = String(recorded.body.reference);
      const behaviour = this.behaviours.get(id);
      const answer = behaviour
        ? behaviour(recorded, this.requestsFor(id).length)
        : { status: 200, body: { result: { messageId: `prov-${this.nextId++}` } } };
      if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
      if (res.destroyed) return;
      res.writeHead(answer.status, { "content-type": "application/json", ...answer.headers });
      res.end(answer.body === undefined ? "" : JSON.stringify(answer.body));
    } finally {
      this.inFlight--;
    }
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const fakes: FakeProvider[] = [];
const adapters: HttpProvider[] = [];

async function startFake(port?: number): Promise<FakeProvider> {
  const fake = await FakeProvider.start(port);
  fakes.push(fake);
  return fake;
}

function startAdapter(url: string, settings: Partial<HttpProviderSettingsInput> = {}, maxTps = 0): HttpProvider {
  const adapter = createHttpProvider(
    {
      id: `prov-${randomUUID()}`,
      name: `it-http-${randomUUID().slice(0, 6)}`,
      maxTps,
      settings: {
        url,
        authHeader: "Authorization",
        authValue: "Bearer s3cret-key",
        headers: { "X-Api-Version": "2" },
        fieldMapping: {
          to: "destination",
          from: "source",
          text: "message.content",
          id: "reference",
          encoding: "coding",
        },
        staticFields: { channel: "sms", message: { priority: 1 } },
        responseIdPath: "result.messageId",
        receiptToken: TOKEN,
        timeoutMs: 5_000,
        ...settings,
      } satisfies HttpProviderSettingsInput,
    },
    log,
  );
  adapters.push(adapter);
  adapter.start();
  return adapter;
}

const sms = (text = "Your code is 1234", to = "+447911123456"): OutboundSms => ({
  id: `m-${randomUUID()}`,
  from: "TESTCO",
  to,
  text,
});

afterEach(async () => {
  await Promise.all(adapters.splice(0).map((a) => a.stop(1_000)));
  await Promise.all(fakes.splice(0).map((f) => f.stop()));
});

describe("HTTP provider adapter against a live HTTP API", () => {
  it("posts the mapped body with the auth header and returns the provider's id", async () => {
    const fake = await startFake();
    const adapter = startAdapter(fake.url);
    const message = sms("Привет, your code is 1234");
    const result = await adapter.submit(message);

    expect(result).toEqual({ ok: true, providerMessageId: "prov-1", partMessageIds: ["prov-1"] });
    expect(fake.requests).toHaveLength(1);
    const [req] = fake.requests;
    expect(req!.url).toBe("/v1/sms");
    expect(req!.body).toEqual({
      channel: "sms",
      destination: "+447911123456",
      source: "TESTCO",
      message: { priority: 1, content: "Привет, your code is 1234" },
      reference: message.id,
      coding: "UCS2",
    });
    expect(req!.headers.authorization).toBe("Bearer s3cret-key");
    expect(req!.headers["x-api-version"]).toBe("2");
    expect(req!.headers["content-type"]).toBe("application/json");

    // A long text goes whole in one request: the provider splits it.
    const long = await adapter.submit(sms("x".repeat(400)));
    expect(long).toEqual({ ok: true, providerMessageId: "prov-2", partMessageIds: ["prov-2"] });
    expect((fake.requests[1]!.body.message as { content: string }).content).toHaveLength(400);
    expect(fake.requests[1]!.body.coding).toBe("GSM7");
    expect(adapter.status()).toMatchObject({ state: "bound", windowInUse: 0, windowSize: 20, queued: 0 });
  });

  it("keeps to maxTps and to the concurrency window", async () => {
    const fake = await startFake();
    const maxTps = 5;
    const adapter = startAdapter(fake.url, { concurrency: 2 }, maxTps);
    const messages = Array.from({ length: 15 }, () => sms());
    // Every answer takes a while, so the window (2) is what limits the first burst.
    for (const m of messages)
      fake.behaviours.set(m.id, () => ({ status: 200, body: { result: { messageId: m.id } }, delayMs: 50 }));

    const results = await Promise.all(messages.map((m) => adapter.submit(m)));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(fake.requests).toHaveLength(15);
    expect(fake.maxInFlight).toBeLessThanOrEqual(2);
    expect(adapter.status()).toMatchObject({ maxTps: 5, windowSize: 2 });

    // The bucket allows a burst of maxTps, then one request every 1000/maxTps ms: request i cannot arrive before
    // (i - maxTps) / maxTps seconds after the first (a slow machine only makes it later).
    const times = fake.requests.map((r) => r.at).sort((a, b) => a - b);
    times.forEach((t, i) => expect(t - times[0]!).toBeGreaterThanOrEqual(((i - maxTps) * 1000) / maxTps - 100));
    // Counted per one-second window after the opening burst: never more than the cap (plus one for jitter at the edge).
    for (const start of times.slice(maxTps)) {
      const inWindow = times.filter((t) => t >= start && t < start + 1000).length;
      expect(inWindow).toBeLessThanOrEqual(maxTps + 1);
    }
  });

  it("retries 429 inside the adapter, honouring Retry-After, then succeeds", async () => {
    const fake = await startFake();
    const adapter = startAdapter(fake.url);
    const message = sms();
    fake.behaviours.set(message.id, (_req, nth) =>
      nth === 1
        ? { status: 429, headers: { "retry-after": "1" }, body: { error: "slow down" } }
        : nth === 2
          ? { status: 429, body: { error: "slow down" } }
          : { status: 201, body: { result: { messageId: "after-throttle" } } },
    );
    const result = await adapter.submit(message);
    expect(result).toEqual({ ok: true, providerMessageId: "after-throttle", partMessageIds: ["after-throttle"] });
    const attempts = fake.requestsFor(message.id);
    expect(attempts).toHaveLength(3);
    // Retry-After: 1 held the next attempt back a whole second.
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it("posts nothing its write gate refuses, and asks the gate again after a 429", async () => {
    const fake = await startFake();
    const adapter = startAdapter(fake.url, { throttleBackoffBaseMs: 10 });
    const redis: Redis = createRedis(env().REDIS_URL);
    try {
      const prefix = `it-http-${randomUUID()}:`;
      const owner = new WriteFence(redis, prefix, 60);
      const other = new WriteFence(redis, prefix, 60);
      const [kept, lost, throttled] = [sms(), sms(), sms()];
      await owner.claim([kept.id, lost.id, throttled.id]);
      await other.takeOver([lost.id]);
      fake.behaviours.set(throttled.id, (_req, nth) =>
        nth === 1 ? { status: 429 } : { status: 200, body: { result: { messageId: "after-429" } } },
      );
      let acquired = 0;
      const gate = owner.gate(throttled.id);
      const counted = { acquire: () => (acquired++, gate.acquire()), release: () => gate.release() };

      expect(await adapter.submit(kept, owner.gate(kept.id))).toMatchObject({ ok: true });
      expect(await adapter.submit(lost, owner.gate(lost.id))).toMatchObject({
        ok: false,
        kind: "fenced",
        mayHaveBeenSent: false,
      });
      expect(await adapter.submit(throttled, counted)).toMatchObject({ ok: true, providerMessageId: "after-429" });
      expect(fake.requestsFor(kept.id)).toHaveLength(1);
      expect(fake.requestsFor(lost.id)).toHaveLength(0);
      expect(fake.requestsFor(throttled.id)).toHaveLength(2);
      expect(acquired).toBe(2);
    } finally {
      const keys = await redis.keys(`delivery:it-http-*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
  });

  it("fails transiently (never sent) once 429s go past the retry limit, or Retry-After is too long", async () => {
    const fake = await startFake();
    const adapter = startAdapter(fake.url, {
      throttleRetryLimit: 2,
      throttleBackoffBaseMs: 10,
      retryAfterMaxMs: 5_000,
    });
    const always = sms();
    fake.behaviours.set(always.id, () => ({ status: 429 }));
    expect(await adapter.submit(always)).toEqual({
      ok: false,
      kind: "transient",
      reason: "HTTP_429",
      mayHaveBeenSent: false,
      acceptedPartIds: [],
    });
    expect(fake.requestsFor(always.id)).toHaveLength(3);

    const tooLong = sms();
    fake.behaviours.set(tooLong.id, () => ({ status: 429, headers: { "retry-after": "60" } }));
    expect(await adapter.submit(tooLong)).toMatchObject({ ok: false, kind: "transient", reason: "HTTP_429" });
    expect(fake.requestsFor(tooLong.id)).toHaveLength(1);
  });

  it("classifies 4xx as permanent and 5xx as transient, with the status as the reason", async () => {
    const fake = await startFake();
    const adapter = startAdapter(fake.url);
    const bad = sms();
    const broken = sms();
    const noId = sms();
    fake.behaviours.set(bad.id, () => ({ status: 400, body: { error: "invalid destination" } }));
    fake.behaviours.set(broken.id, () => ({ status: 500, body: { error: "oops" } }));
    fake.behaviours.set(noId.id, () => ({ status: 200, body: { accepted: true } }));
    const [r400, r500, rNoId] = await Promise.all([adapter.submit(bad), adapter.submit(broken), adapter.submit(noId)]);
    expect(r400).toEqual({
      ok: false,
      kind: "permanent",
      reason: "HTTP_400",
      mayHaveBeenSent: false,
      acceptedPartIds: [],
    });
    expect(r500).toEqual({
      ok: false,
      kind: "transient",
      reason: "HTTP_500",
      mayHaveBeenSent: false,
      acceptedPartIds: [],
    });
    // Taken, but without an id its receipt could never be matched: settled like a lost answer.
    expect(rNoId).toMatchObject({ ok: false, kind: "transient", reason: "NO_MESSAGE_ID", mayHaveBeenSent: true });
    // Each was sent exactly once: the adapter itself retries only 429.
    expect(fake.requests).toHaveLength(3);
    expect(adapter.status().state).toBe("bound");
  });

  it("reports a timeout after the request was sent as possibly sent", async () => {
    const fake = await startFake();
    const adapter = startAdapter(fake.url, { timeoutMs: 300 });
    const slow = sms();
    fake.behaviours.set(slow.id, () => ({ status: 200, body: { result: { messageId: "too-late" } }, delayMs: 3_000 }));
    const result = await adapter.submit(slow);
    expect(result).toEqual({
      ok: false,
      kind: "transient",
      reason: "TIMEOUT",
      mayHaveBeenSent: true,
      acceptedPartIds: [],
    });
    // The provider did get it: exactly why it must not be resubmitted blindly.
    expect(fake.requestsFor(slow.id)).toHaveLength(1);
  });

  it("says disconnected after consecutive connection failures and bound again once the API answers", async () => {
    // A port that was free a moment ago: connections to it are refused until the fake listens there again.
    const probe = await startFake();
    const port = probe.port;
    await probe.stop();
    fakes.splice(fakes.indexOf(probe), 1);
    const adapter = startAdapter(`http://127.0.0.1:${port}/v1/sms`, { disconnectAfterFailures: 3 });

    for (let i = 0; i < 3; i++) {
      expect(await adapter.submit(sms())).toEqual({
        ok: false,
        kind: "transient",
        reason: "NETWORK_ERROR",
        mayHaveBeenSent: false,
        acceptedPartIds: [],
      });
    }
    expect(adapter.status().state).toBe("disconnected");

    const fake = await startFake(port);
    expect(await adapter.submit(sms())).toMatchObject({ ok: true });
    expect(adapter.status().state).toBe("bound");
    expect(fake.requests).toHaveLength(1);
  });

  it("refuses an invalid message without sending it, and fails queued messages on stop", async () => {
    const fake = await startFake();
    const adapter = startAdapter(fake.url, { concurrency: 1 });
    expect(await adapter.submit({ id: "x", from: "TESTCO", to: "not-a-number", text: "hi" })).toMatchObject({
      ok: false,
      kind: "permanent",
      reason: "INVALID_MESSAGE",
    });
    const slow = sms();
    fake.behaviours.set(slow.id, () => ({ status: 200, body: { result: { messageId: "slow" } }, delayMs: 500 }));
    const first = adapter.submit(slow);
    const queued = adapter.submit(sms());
    await new Promise((r) => setTimeout(r, 100));
    expect(adapter.status()).toMatchObject({ windowInUse: 1, queued: 1 });
    const stopping = adapter.stop(5_000);
    expect(await queued).toMatchObject({ ok: false, reason: "STOPPED", mayHaveBeenSent: false });
    // The one in flight is allowed to finish.
    expect(await first).toMatchObject({ ok: true, providerMessageId: "slow" });
    await stopping;
    expect(adapter.status().state).toBe("stopped");
    expect(fake.requests).toHaveLength(1);
  });
});

describe("receipt webhook", () => {
  let deps: Awaited<ReturnType<typeof createTestDeps>>;
  const providerIds: string[] = [];

  beforeAll(async () => {
    deps = await createTestDeps();
  });
  afterAll(async () => {
    await deps?.db.prisma.provider.deleteMany({ where: { id: { in: providerIds } } });
    await deps?.close();
  });

  async function createProvider(kind: "HTTP" | "SMPP", settings: Prisma.InputJsonObject) {
    const row = await deps.db.prisma.provider.create({
      data: { name: `it-webhook-${randomUUID().slice(0, 8)}`, kind, maxTps: 0, settings },
    });
    providerIds.push(row.id);
    return row;
  }

  function post(providerId: string, body: unknown, opts: { token?: string; query?: string } = {}) {
    return handleReceiptWebhook(
      deps.api,
      providerId,
      new Request(`http://127.0.0.1/api/providers/${providerId}/receipts${opts.query ?? ""}`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(opts.token !== undefined ? { "x-volley-webhook-token": opts.token } : {}),
        },
        body: typeof body === "string" ? body : JSON.stringify(body),
      }),
    );
  }

  const httpSettings = (extra: Record<string, unknown> = {}) => ({
    url: "https://sms.example.com/send",
    receiptToken: TOKEN,
    receiptIdPath: "messageId",
    receiptStatusPath: "status.name",
    receiptErrorPath: "error.code",
    receiptStatusMap: { DELIVERED_TO_HANDSET: "DELIVERED", PENDING_ENROUTE: null },
    ...extra,
  });

  it("answers 404 for an unknown provider and for one that is not HTTP", async () => {
    const missing = await post(
      `nope-${randomUUID()}`,
      { messageId: "a", status: { name: "DELIVERED" } },
      { token: TOKEN },
    );
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: "NOT_FOUND", message: "Provider not found" } });

    const smpp = await createProvider("SMPP", { host: "127.0.0.1", port: 2775, systemId: "x", password: "y" });
    expect((await post(smpp.id, [], { token: TOKEN })).status).toBe(404);
  });

  it("answers 401 with a JSON error for a missing or wrong token, and takes ?token=", async () => {
    const provider = await createProvider("HTTP", httpSettings());
    const body = { messageId: "unknown-id", status: { name: "PENDING_ENROUTE" } };

    const missing = await post(provider.id, body);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({
      error: { code: "UNAUTHORIZED", message: expect.stringMatching(/Missing webhook token/) },
    });
    const wrong = await post(provider.id, body, { token: `${TOKEN}x` });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: { code: "UNAUTHORIZED", message: "Invalid webhook token" } });
    const wrongQuery = await post(provider.id, body, { query: "?token=guess" });
    expect(wrongQuery.status).toBe(401);

    // An intermediate status: authenticated and parsed, nothing to hand on.
    const viaQuery = await post(provider.id, body, { query: `?token=${encodeURIComponent(TOKEN)}` });
    expect(viaQuery.status).toBe(200);
    expect(await viaQuery.json()).toEqual({ accepted: 0, ignored: 1 });

    // A provider with no token configured accepts nobody.
    const open = await createProvider("HTTP", httpSettings({ receiptToken: "" }));
    expect((await post(open.id, body, { token: "" })).status).toBe(401);
  });

  it("answers 400 with the reason for a body that does not parse or does not fit the mapping", async () => {
    const provider = await createProvider("HTTP", httpSettings());
    const notJson = await post(provider.id, "{not json", { token: TOKEN });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toEqual({ error: { code: "BAD_REQUEST", message: "Body is not valid JSON" } });

    const noId = await post(provider.id, [{ status: { name: "DELIVERED" } }], { token: TOKEN });
    expect(noId.status).toBe(400);
    expect(await noId.json()).toEqual({
      error: { code: "BAD_REQUEST", message: "Receipt 0 has no message id at 'messageId'" },
    });

    const huge = await post(provider.id, `[${'"x",'.repeat(300_000)}"x"]`, { token: TOKEN });
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({ error: { code: "PAYLOAD_TOO_LARGE" } });
  });

  it("hands good receipts to the delivery stage: final statuses on message-status, refund owner on failures", async () => {
    const provider = await createProvider("HTTP", httpSettings({ receiptRecipientPath: "to" }));
    const clientId = `client-${randomUUID()}`;
    const accountId = `account-${randomUUID()}`;
    // Two messages this provider accepted, as bulk-proc records them at submit.
    const messages = [
      { messageId: `m-${randomUUID()}`, providerMessageId: `p-${randomUUID()}`, recipient: "+447911123456" },
      { messageId: `m-${randomUUID()}`, providerMessageId: `p-${randomUUID()}`, recipient: "+447911123457" },
    ];
    for (const m of messages) {
      await deps.db.prisma.submission.create({
        data: {
          messageId: m.messageId,
          clientId,
          accountId,
          providerId: provider.id,
          state: "SUBMITTED",
          attempts: 1,
          providerMessageId: m.providerMessageId,
          recipient: m.recipient,
          sender: "TESTCO",
          validUntil: new Date(Date.now() + 86_400_000),
          submittedAt: new Date(),
        },
      });
      await deps.db.prisma.providerMessage.create({
        data: { providerId: provider.id, providerMessageId: m.providerMessageId, messageId: m.messageId },
      });
    }

    const res = await post(
      provider.id,
      [
        { messageId: messages[0]!.providerMessageId, status: { name: "delivered_to_handset" }, to: "447911123456" },
        { messageId: messages[1]!.providerMessageId, status: { name: "UNDELIV" }, error: { code: 34 } },
        { messageId: messages[1]!.providerMessageId, status: { name: "PENDING_ENROUTE" } },
      ],
      { token: TOKEN },
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: 2, ignored: 1 });

    const ids = new Set(messages.map((m) => m.messageId));
    const mine = (rs: { value: string }[]) => statusEventsOnTopic(rs).filter((e) => ids.has(e.messageId));
    const records = await readTopic(
      deps.kafka,
      deps.env.KAFKA_TOPIC_PREFIX + TOPICS.messageStatus.name,
      (rs) => new Set(mine(rs).map((e) => e.messageId)).size === 2,
    );
    // Kafka delivery is at least once: a produce retried after a lost ack writes the same event twice, byte for
    // byte. A second decision would be a different event (its own time), so distinct events count decisions.
    const distinctValues = (rs: typeof records) => [...new Set(mine(rs).map((e) => JSON.stringify(e)))];
    const events = distinctValues(records).map((v) => JSON.parse(v) as MessageStatusEvent);
    expect(events).toHaveLength(2);
    const byId = new Map(events.map((e) => [e.messageId, e]));
    expect(byId.get(messages[0]!.messageId)).toMatchObject({ status: "DELIVERED", reason: null, stage: "bulk-proc" });
    expect(byId.get(messages[1]!.messageId)).toMatchObject({
      status: "UNDELIVERABLE",
      reason: "ERR_34",
      clientId,
      accountId,
    });

    // The provider sending the batch again changes nothing: each message was decided once.
    const again = await post(
      provider.id,
      [{ messageId: messages[0]!.providerMessageId, status: { name: "DELIVERED" } }],
      { token: TOKEN },
    );
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ accepted: 1, ignored: 0 });
    // A marker after the retry on the same partition (same key): once it is read, everything before it was too.
    const marker = `marker-${randomUUID()}`;
    await deps.producer.send(deps.env.KAFKA_TOPIC_PREFIX + TOPICS.messageStatus.name, [
      { key: messages[0]!.messageId, value: JSON.stringify({ marker }) },
    ]);
    const afterRetry = await readTopic(deps.kafka, deps.env.KAFKA_TOPIC_PREFIX + TOPICS.messageStatus.name, (rs) =>
      rs.some((r) => r.value.includes(marker)),
    );
    // Partitions are read in no fixed order: compare as sets.
    expect(distinctValues(afterRetry).sort()).toEqual(distinctValues(records).sort());

    await deps.db.prisma.providerMessage.deleteMany({ where: { providerId: provider.id } });
    await deps.db.prisma.submission.deleteMany({ where: { providerId: provider.id } });
  });
});
