import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startBulkProc } from "@/server/delivery/bulk-proc-worker";
import { handleListRepliesRequest } from "@/server/client-api/replies";
import {
  handleReadMessageRequest,
  handleSendBatchRequest,
  handleSendMessageRequest,
} from "@/server/client-api/messages-http";
import { createLogger } from "@/server/logger";
import type { StartedWorker } from "@/server/worker/run-worker";
import { SIGNATURE_HEADER, DELIVERY_HEADER, verifyWebhookSignature } from "@/server/webhooks/signature";
import { startWebhooks } from "@/server/webhooks/worker";
import { callerAs, createTestClient, createTestDeps, startStages, waitFor } from "./helpers";
import { smscFixture } from "./smsc-fixture";

// The Client API's send and status endpoints against the real pipeline: a message sent with an API key is stored
// QUEUED, goes through the validator, the prepaid lanes and bulk-proc to the SMSC simulator, and reads back with its
// final status; a retried reference is one message, sent and charged once; bad requests are refused whole.

let deps: Awaited<ReturnType<typeof createTestDeps>>;
let stages: { stop(): Promise<void> };
let bulkProc: StartedWorker | undefined;
let webhooks: StartedWorker | undefined;
const log = createLogger("client-api-messages-test");
const smsc = smscFixture(() => deps, log);

beforeAll(async () => {
  deps = await createTestDeps();
  stages = await startStages(deps, [
    "launcher",
    "validator",
    "status-writer",
    "prepaid-low",
    "prepaid-high",
    "prepaid-manager",
    "postpaid-high",
    "postpaid-low",
    "postpaid-manager",
    "refunds",
    "inbound",
  ]);
  bulkProc = await startBulkProc({ ...deps, env: { ...deps.env, DELIVERY_PROVIDER_NAME_PREFIX: smsc.namePrefix() } });
  // Retries within the test's time: 200 ms, 400 ms, then given up after the third attempt.
  webhooks = await startWebhooks({
    ...deps,
    env: { ...deps.env, WEBHOOK_RETRY_BASE_MS: 200, WEBHOOK_MAX_ATTEMPTS: 3, WEBHOOK_TIMEOUT_MS: 2_000 },
  });
});
afterEach(() => smsc.stopSimulators());
afterAll(async () => {
  await webhooks?.stop();
  await bulkProc?.stop();
  await stages?.stop();
  await smsc.cleanup();
  await deps?.close();
});

type Json = Record<string, unknown>;

/** A client with a key, its traffic routed to a simulator of its own (through a provider capped at maxTps). */
async function apiClient(opts: { balance?: bigint; maxTps?: number; billingType?: "PREPAID" | "POSTPAID" } = {}) {
  const { sim, store } = await smsc.startSimulator(`it-${randomUUID()}`);
  const client = await createTestClient(deps.api, {
    balance: opts.balance ?? 10_000n,
    ...(opts.billingType ? { billingType: opts.billingType } : {}),
  });
  await smsc.routeToSimulator(client.id, sim.port, { maxTps: opts.maxTps ?? 0 });
  const operator = await callerAs(deps.api, "OPERATOR");
  const { key } = await operator.apiKeys.create({ clientId: client.id, name: "test" });
  return { client, key, store, operator, sim };
}

function post(path: string, key: string, body: unknown, headers: Record<string, string> = {}) {
  const request = new Request(`http://127.0.0.1${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return path.endsWith("/batch")
    ? handleSendBatchRequest(deps.api, request)
    : handleSendMessageRequest(deps.api, request);
}

async function get(key: string, id?: string, query = "") {
  const res = await handleReadMessageRequest(
    deps.api,
    new Request(`http://127.0.0.1/api/v1/messages${id ? `/${id}` : ""}${query}`, {
      headers: { authorization: `Bearer ${key}` },
    }),
    id,
  );
  return { status: res.status, body: (await res.json()) as Json };
}

const waitForFinal = (key: string, id: string) =>
  waitFor(
    () => get(key, id),
    (r) => r.body.finalAt !== null,
    { what: `message ${id} to reach a final status`, timeoutMs: 60_000, intervalMs: 300 },
  );

const balanceOf = async (clientId: string) =>
  (await deps.db.prisma.account.findFirstOrThrow({ where: { clientId } })).balance;

describe("POST /api/v1/messages and GET /api/v1/messages/{id}", () => {
  it("sends one message and a batch through the pipeline: final statuses, segments and charges as for a campaign", async () => {
    const { client, key, store } = await apiClient();
    const opening = await balanceOf(client.id);

    const single = await post("/api/v1/messages", key, {
      to: "07911 123456",
      from: "TESTCO",
      text: "Your code is {{code}}",
      variables: { code: "482910" },
      category: "authentication",
    });
    expect(single.status).toBe(202);
    const sent = (await single.json()) as Json;
    expect(sent).toMatchObject({
      status: "QUEUED",
      to: "07911 123456",
      from: "TESTCO",
      category: "authentication",
      segments: null,
      reference: null,
      duplicate: false,
    });
    expect(sent.id).toMatch(new RegExp(`^api-${client.id}-[A-Za-z0-9_-]{22}$`));
    expect(single.headers.get("location")).toBe(`/api/v1/messages/${sent.id as string}`);
    // Readable at once, before any stage has seen it.
    expect((await get(key, sent.id as string)).status).toBe(200);

    const batch = await post("/api/v1/messages/batch", key, {
      defaults: { from: "TESTCO", text: "Winter sale: 20% off today" },
      messages: [
        { to: "+447911123401" },
        { to: "+447911120001" }, // the simulator's UNDELIVERABLE suffix
        { to: "+44791", reference: "bad-number" },
        { to: "+447911123402", text: "A".repeat(200) }, // two GSM-7 segments
      ],
    });
    expect(batch.status).toBe(202);
    const { messages } = (await batch.json()) as { messages: Json[] };
    expect(messages.map((m) => [m.status, m.category, m.reference])).toEqual([
      ["QUEUED", "marketing", null],
      ["QUEUED", "marketing", null],
      ["QUEUED", "marketing", "bad-number"],
      ["QUEUED", "marketing", null],
    ]);

    const final = await waitForFinal(key, sent.id as string);
    expect(final.body).toMatchObject({ status: "DELIVERED", reason: null, to: "+447911123456", segments: 1 });
    expect(final.body.encoding).toBe("GSM7");
    const outcomes = [];
    for (const m of messages) outcomes.push((await waitForFinal(key, m.id as string)).body);
    expect(outcomes.map((m) => [m.status, m.reason, m.segments])).toEqual([
      ["DELIVERED", null, 1],
      ["UNDELIVERABLE", "ERR_001", 1],
      ["REJECTED", "INVALID_NUMBER", null],
      ["DELIVERED", null, 2],
    ]);
    const byReference = await get(key, undefined, "?reference=bad-number");
    expect(byReference.body).toMatchObject({ id: messages[2]!.id, status: "REJECTED" });

    // Charged at 2 a segment: the OTP, the two delivered marketing messages (1 + 2 segments); the undelivered one refunded.
    await waitFor(
      () => balanceOf(client.id),
      (b) => b === opening - (1n + 1n + 2n) * 2n,
      { what: "charges and the refund to settle", timeoutMs: 60_000 },
    );
    const stats = await store.stats([smsc.systemId]);
    expect(stats.duplicates).toBe(0);
    expect(stats.messages).toBe(4);
  });

  it("bills a postpaid client's API messages as usage, the failed one refunded", async () => {
    const { client, key } = await apiClient({ billingType: "POSTPAID" });
    await deps.db.prisma.client.update({ where: { id: client.id }, data: { creditLimit: 10_000n } });
    const batch = await post("/api/v1/messages/batch", key, {
      defaults: { from: "TESTCO", text: "Your statement is ready", category: "agent_flow" },
      messages: [{ to: "+447911123460" }, { to: "+447911120001" }],
    });
    const ids = ((await batch.json()) as { messages: Json[] }).messages.map((m) => m.id as string);
    expect((await waitForFinal(key, ids[0]!)).body.status).toBe("DELIVERED");
    expect((await waitForFinal(key, ids[1]!)).body.status).toBe("UNDELIVERABLE");
    // Two messages used at 2 each; the undelivered one's usage is refunded: 2 left unbilled.
    const unbilled = await waitFor(
      () => deps.db.prisma.account.findFirstOrThrow({ where: { clientId: client.id } }),
      (a) => a.unbilledUsage === 2n,
      { what: "usage and the refund to be applied", timeoutMs: 30_000 },
    );
    expect(unbilled.balance).toBe(10_000n);
    const usage = await deps.db.prisma.usageRecord.findMany({ where: { clientId: client.id } });
    expect(usage.map((u) => [u.reference.split(":")[0], u.amount, u.category]).sort()).toEqual([
      ["cdr", 2n, "AGENT_FLOW"],
      ["cdr", 2n, "AGENT_FLOW"],
      ["refund", -2n, "AGENT_FLOW"],
    ]);
  });

  it("treats a retried reference as the same message: sent and charged once", async () => {
    const { client, key, store } = await apiClient();
    const opening = await balanceOf(client.id);
    const body = { to: "+447911123410", from: "TESTCO", text: "Order 1 confirmed", reference: "order-1" };
    // The retries race the first request, and come again after it is delivered.
    const first = await Promise.all([1, 2, 3].map(() => post("/api/v1/messages", key, body)));
    const answers = (await Promise.all(first.map((r) => r.json()))) as Json[];
    expect(first.map((r) => r.status)).toEqual([202, 202, 202]);
    expect(new Set(answers.map((a) => a.id)).size).toBe(1);
    expect(answers.filter((a) => a.duplicate === false)).toHaveLength(1);
    const id = answers[0]!.id as string;
    expect((await waitForFinal(key, id)).body.status).toBe("DELIVERED");

    const later = (await (await post("/api/v1/messages", key, body)).json()) as Json;
    expect(later).toMatchObject({ id, status: "DELIVERED", duplicate: true, reference: "order-1" });
    await waitFor(
      () => balanceOf(client.id),
      (b) => b === opening - 2n,
      { what: "the one charge", timeoutMs: 30_000 },
    );
    // Another reference is another message.
    const other = (await (await post("/api/v1/messages", key, { ...body, reference: "order-2" })).json()) as Json;
    expect(other.id).not.toBe(id);
    await waitForFinal(key, other.id as string);
    expect(await balanceOf(client.id)).toBe(opening - 4n);
    expect(await store.messageCount(id)).toMatchObject({ maxPartCopies: 1 });
    expect((await store.stats([smsc.systemId])).messages).toBe(2);
  });

  it("refuses bad requests whole, with the field that is wrong, and sends nothing", async () => {
    const { client, key, operator } = await apiClient();
    const expectError = async (res: Response, status: number, code: string) => {
      expect(res.status).toBe(status);
      const body = (await res.json()) as { error: { code: string; message: string; fields?: Json } };
      expect(body.error.code).toBe(code);
      return body.error;
    };

    const missing = await expectError(await post("/api/v1/messages", key, { to: "+447911123420" }), 400, "BAD_REQUEST");
    expect(Object.keys(missing.fields!).sort()).toEqual(["from", "text"]);
    const unknownField = await expectError(
      await post("/api/v1/messages", key, { to: "+447911123420", from: "TESTCO", text: "x", colour: "red" }),
      400,
      "BAD_REQUEST",
    );
    expect(JSON.stringify(unknownField.fields)).toContain("colour");
    await expectError(await post("/api/v1/messages", key, "{not json"), 400, "BAD_REQUEST");
    const badCategory = await expectError(
      await post("/api/v1/messages", key, { to: "+447911123420", from: "TESTCO", text: "x", category: "promo" }),
      400,
      "BAD_REQUEST",
    );
    expect(Object.keys(badCategory.fields!)).toEqual(["category"]);

    // One bad message in a batch: none of it is sent, and the error names it by index.
    const batch = await expectError(
      await post("/api/v1/messages/batch", key, {
        defaults: { from: "TESTCO", text: "hello" },
        messages: [{ to: "+447911123421" }, { to: "" }, { to: "+447911123422", reference: "twice has spaces" }],
      }),
      400,
      "BAD_REQUEST",
    );
    expect(Object.keys(batch.fields!).sort()).toEqual(["messages.1.to", "messages.2.reference"]);
    const sameReference = await expectError(
      await post("/api/v1/messages/batch", key, {
        defaults: { from: "TESTCO", text: "hello" },
        messages: [
          { to: "+447911123423", reference: "r" },
          { to: "+447911123424", reference: "r" },
        ],
      }),
      400,
      "BAD_REQUEST",
    );
    expect(sameReference.message).toContain("'r' appears twice");
    await expectError(
      await post("/api/v1/messages/batch", key, { messages: Array.from({ length: 1001 }, () => ({})) }),
      400,
      "BAD_REQUEST",
    );
    await expectError(
      await post("/api/v1/messages", key, { to: "+447911123425", from: "TESTCO", text: "x".repeat(70_000) }),
      413,
      "PAYLOAD_TOO_LARGE",
    );
    expect(await deps.db.prisma.message.count({ where: { clientId: client.id } })).toBe(0);

    await expectError(
      await post("/api/v1/messages", "vk_wrong", { to: "+1", from: "A", text: "x" }),
      401,
      "UNAUTHORIZED",
    );

    // Another client's message is not found, like a made-up id.
    const other = await apiClient();
    const theirs = (await (
      await post("/api/v1/messages", other.key, { to: "+447911123426", from: "TESTCO", text: "theirs" })
    ).json()) as Json;
    expect(await get(key, theirs.id as string)).toMatchObject({ status: 404, body: { error: { code: "NOT_FOUND" } } });
    expect((await get(key, "no-such-message")).status).toBe(404);
    expect((await get(key, undefined, "?limit=0")).status).toBe(400);
    expect((await get(key, undefined, "?colour=red")).body).toMatchObject({
      error: { fields: { "(body)": [expect.any(String)] } },
    });

    // A suspended client can read but not send.
    await operator.clients.update({ id: client.id, status: "SUSPENDED" });
    await expectError(
      await post("/api/v1/messages", key, { to: "+447911123427", from: "TESTCO", text: "x" }),
      403,
      "FORBIDDEN",
    );
    expect(await deps.db.prisma.message.count({ where: { clientId: client.id } })).toBe(0);
  });
});

type Received = { headers: Record<string, string | string[] | undefined>; body: string };

/** A real HTTP endpoint standing in for the client's: records every call, answers as `answer` says. */
async function receiver(answer: (body: { messageId: string }, calls: number) => number) {
  const calls: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      calls.push({ headers: req.headers, body });
      const parsed = JSON.parse(body) as { messageId: string };
      res.statusCode = answer(parsed, calls.filter((c) => c.body.includes(parsed.messageId)).length);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/volley`,
    port,
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("delivery webhooks", () => {
  it("POSTs each API message's final status once, signed with the client's secret, retrying failed calls", async () => {
    const { client, key, operator } = await apiClient();
    // The endpoint fails the first call of each message, then answers 204.
    const endpoint = await receiver((_, n) => (n === 1 ? 500 : 204));
    await operator.webhooks.setUrl({ clientId: client.id, url: endpoint.url });
    const settings = await operator.webhooks.get({ clientId: client.id });
    expect(settings.url).toBe(endpoint.url);
    const secret = settings.secret!;
    expect(secret).toMatch(/^whsec_/);
    // A viewer sees the URL, never the secret; nor does the client's own record.
    const viewer = await callerAs(deps.api, "VIEWER");
    expect(await viewer.webhooks.get({ clientId: client.id })).toMatchObject({ url: endpoint.url, secret: null });
    const record = await viewer.clients.get({ id: client.id });
    expect("webhookSecret" in record).toBe(false);
    expect(Object.values(record)).not.toContain(secret);

    const batch = await post("/api/v1/messages/batch", key, {
      defaults: { from: "TESTCO", text: "Your parcel is on its way" },
      messages: [{ to: "+447911123430" }, { to: "+447911120001" }, { to: "+4479" }],
    });
    const ids = ((await batch.json()) as { messages: Json[] }).messages.map((m) => m.id as string);

    const answered = () => endpoint.calls.filter((c) => c.headers["user-agent"] === "Volley-Webhooks/1");
    await waitFor(
      async () => new Set(answered().map((c) => (JSON.parse(c.body) as { messageId: string }).messageId)).size,
      (n) => n === 3,
      { what: "a webhook for each message", timeoutMs: 60_000 },
    );
    await waitFor(
      () => deps.db.prisma.webhookDelivery.findMany({ where: { clientId: client.id } }),
      (rows) => rows.length === 3 && rows.every((r) => r.state === "DELIVERED"),
      { what: "every delivery to be answered", timeoutMs: 30_000 },
    );

    const statuses = new Map<string, Json>();
    for (const call of answered()) {
      expect(call.headers["content-type"]).toBe("application/json");
      expect(verifyWebhookSignature(secret, call.headers[SIGNATURE_HEADER] as string, call.body)).toBe(true);
      expect(verifyWebhookSignature("whsec_other", call.headers[SIGNATURE_HEADER] as string, call.body)).toBe(false);
      const body = JSON.parse(call.body) as Json;
      expect(call.headers[DELIVERY_HEADER]).toBe(body.id);
      statuses.set(body.messageId as string, body);
    }
    // Exactly two calls per message: the refused one and the answered one, the same event both times.
    expect(answered()).toHaveLength(6);
    expect(ids.map((id) => [statuses.get(id)?.status, statuses.get(id)?.reason])).toEqual([
      ["DELIVERED", null],
      ["UNDELIVERABLE", "ERR_001"],
      ["REJECTED", "INVALID_NUMBER"],
    ]);
    for (const id of ids) {
      expect(statuses.get(id)).toMatchObject({ type: "message.status", id, messageId: id });
      expect((await get(key, id)).body.status).toBe(statuses.get(id)!.status);
    }
    const rows = await deps.db.prisma.webhookDelivery.findMany({ where: { clientId: client.id } });
    expect(rows.map((r) => [r.attempts, r.lastHttpStatus])).toEqual([
      [2, 204],
      [2, 204],
      [2, 204],
    ]);
    await endpoint.close();
  });

  it("gives up after the last attempt, and an operator's retry delivers once the endpoint is back", async () => {
    const { client, key, operator } = await apiClient();
    const endpoint = await receiver(() => 200);
    const { port } = endpoint;
    await endpoint.close(); // nothing listens there for now
    await operator.webhooks.setUrl({ clientId: client.id, url: endpoint.url });
    const sent = (await (
      await post("/api/v1/messages", key, { to: "+447911123431", from: "TESTCO", text: "Hello" })
    ).json()) as Json;

    const failed = await waitFor(
      () => deps.db.prisma.webhookDelivery.findUnique({ where: { id: sent.id as string } }),
      (d) => d?.state === "FAILED",
      { what: "the delivery to be given up", timeoutMs: 60_000 },
    );
    expect(failed).toMatchObject({ attempts: 3, lastHttpStatus: null, lastError: "ECONNREFUSED", status: "DELIVERED" });
    const view = await operator.webhooks.get({ clientId: client.id });
    expect(view.counts).toMatchObject({ failed: 1, pending: 0 });
    expect(view.recentFailures.map((f) => f.messageId)).toEqual([sent.id]);

    // Back on the same port (free again: the test closed it), then retried from the console.
    const back = await new Promise<Received[]>((resolve, reject) => {
      const calls: Received[] = [];
      const server = createServer((req, res) => {
        let body = "";
        req.on("data", (c: Buffer) => (body += c.toString("utf8")));
        req.on("end", () => {
          calls.push({ headers: req.headers, body });
          res.end();
          server.close();
          resolve(calls);
        });
      });
      server.on("error", reject);
      server.listen(port, "127.0.0.1", () => {
        operator.webhooks.retryFailed({ clientId: client.id }).then((r) => expect(r).toEqual({ retried: 1 }), reject);
      });
    });
    expect(JSON.parse(back[0]!.body)).toMatchObject({ messageId: sent.id, status: "DELIVERED" });
    await waitFor(
      () => deps.db.prisma.webhookDelivery.findUnique({ where: { id: sent.id as string } }),
      (d) => d?.state === "DELIVERED",
      { what: "the retried delivery to be recorded", timeoutMs: 30_000 },
    );

    // A client without a URL gets no deliveries at all.
    const quiet = await apiClient();
    const q = (await (
      await post("/api/v1/messages", quiet.key, { to: "+447911123432", from: "TESTCO", text: "Hello" })
    ).json()) as Json;
    await waitForFinal(quiet.key, q.id as string);
    expect(await deps.db.prisma.webhookDelivery.count({ where: { clientId: quiet.client.id } })).toBe(0);
  });
});

describe("replies", () => {
  it("a handset's replies reach the client: a signed message.received call each, and GET /api/v1/replies", async () => {
    const { client, key, operator, sim } = await apiClient();
    const endpoint = await receiver(() => 204);
    await operator.webhooks.setUrl({ clientId: client.id, url: endpoint.url });
    const secret = (await operator.webhooks.get({ clientId: client.id })).secret!;
    const to = "+447911123432";
    const sent = (await (
      await post("/api/v1/messages", key, { to, from: "TESTCO", text: "Table for 2?" })
    ).json()) as Json;
    await waitForFinal(key, sent.id as string);

    // As the carrier hands them over: the handset's number without "+", to the sender id it answers.
    await sim.sendMobileOriginated({ from: to.slice(1), to: "TESTCO", text: "Yes, 8pm" });
    await sim.sendMobileOriginated({ from: to.slice(1), to: "TESTCO", text: "STOP" });
    const received = () =>
      endpoint.calls
        .map((c) => ({ ...c, event: JSON.parse(c.body) as Json }))
        .filter((c) => c.event.type === "message.received");
    await waitFor(
      async () => received().length,
      (n) => n === 2,
      { what: "two reply webhooks", timeoutMs: 30_000 },
    );
    for (const call of received()) {
      expect(verifyWebhookSignature(secret, call.headers[SIGNATURE_HEADER] as string, call.body)).toBe(true);
      expect(call.headers[DELIVERY_HEADER]).toBe(call.event.id);
      expect(call.event.replyId).toBe(call.event.id);
      // Both answer the message the client sent.
      expect(call.event.inReplyTo).toBe(sent.id);
    }
    expect(
      received()
        .map((c) => [c.event.from, c.event.to, c.event.text, c.event.keyword])
        .sort(),
    ).toEqual([
      [to, "TESTCO", "STOP", "OPT_OUT"],
      [to, "TESTCO", "Yes, 8pm", null],
    ]);

    const list = async (apiKey: string, query = "") => {
      const res = await handleListRepliesRequest(
        deps.api,
        new Request(`http://127.0.0.1/api/v1/replies${query}`, { headers: { authorization: `Bearer ${apiKey}` } }),
      );
      return { status: res.status, body: (await res.json()) as { replies: Json[]; nextCursor: string | null } };
    };
    const all = await list(key);
    expect(all.status).toBe(200);
    expect(new Set(all.body.replies.map((r) => r.text))).toEqual(new Set(["STOP", "Yes, 8pm"]));
    expect(all.body.replies.map((r) => r.id).sort()).toEqual(
      received()
        .map((c) => c.event.id)
        .sort(),
    );
    const stops = await list(key, "?keyword=OPT_OUT");
    expect(stops.body.replies).toMatchObject([
      { from: to, to: "TESTCO", text: "STOP", keyword: "OPT_OUT", inReplyTo: sent.id },
    ]);
    const firstPage = await list(key, "?limit=1");
    expect(firstPage.body.replies).toHaveLength(1);
    const secondPage = await list(key, `?limit=1&cursor=${encodeURIComponent(firstPage.body.nextCursor!)}`);
    expect([firstPage.body.replies[0]!.id, secondPage.body.replies[0]!.id].sort()).toEqual(
      all.body.replies.map((r) => r.id).sort(),
    );
    expect((await list(key, "?keyword=MAYBE")).status).toBe(400);
    // Another client's key sees none of them.
    const other = await apiClient();
    expect((await list(other.key)).body.replies).toEqual([]);
    await endpoint.close();
  });
});

describe("the console's message search", () => {
  it("finds messages by id, recipient or client, newest first in pages, with carrier, charges and webhook", async () => {
    const { client, key, operator } = await apiClient();
    const endpoint = await receiver(() => 200);
    await operator.webhooks.setUrl({ clientId: client.id, url: endpoint.url });
    // Numbers of this run alone (the test database outlives it), ending in 5: none of the simulator's failing suffixes.
    const fresh = () => `+4479112${1000 + Math.floor(Math.random() * 9000)}5`;
    const numbers = [fresh(), fresh(), fresh(), "+447911120001"];
    const ids: string[] = [];
    for (const to of numbers) {
      // One at a time: each is created after the one before, so newest first is the reverse order.
      const res = await post("/api/v1/messages", key, { to, from: "TESTCO", text: `hello ${to}` });
      ids.push(((await res.json()) as Json).id as string);
    }
    for (const id of ids) await waitForFinal(key, id);
    const viewer = await callerAs(deps.api, "VIEWER");

    const first = await viewer.messages.search({ clientId: client.id, limit: 3 });
    expect(first.items.map((m) => m.id)).toEqual([...ids].reverse().slice(0, 3));
    const second = await viewer.messages.search({ clientId: client.id, limit: 3, cursor: first.nextCursor });
    expect(second.items.map((m) => m.id)).toEqual([ids[0]]);
    expect(second.nextCursor).toBeNull();

    const written = numbers[1]!.replace(/^\+44(\d{4})(\d{6})$/, "0044 $1-$2");
    const byNumber = await viewer.messages.search({ recipient: written });
    expect(byNumber.items.map((m) => [m.id, m.status, m.clientName])).toEqual([[ids[1], "DELIVERED", client.name]]);
    const spaced = await viewer.messages.search({ recipient: "+44 (7911) 120-001", clientId: client.id });
    expect(spaced.items.map((m) => [m.id, m.status, m.reason])).toEqual([[ids[3], "UNDELIVERABLE", "ERR_001"]]);
    expect((await viewer.messages.search({ clientId: client.id, status: "UNDELIVERABLE" })).items).toHaveLength(1);
    expect((await viewer.messages.search({ clientId: client.id, source: "campaign" })).items).toHaveLength(0);
    expect((await viewer.messages.search({ messageId: ids[2]! })).items.map((m) => m.id)).toEqual([ids[2]]);
    await expect(viewer.messages.search({ status: "DELIVERED" })).rejects.toThrow(/pick a client/);

    // The client's own view through the API: the same messages, newest first, paged the same way.
    const page1 = await get(key, undefined, "?limit=3");
    expect((page1.body.messages as Json[]).map((m) => m.id)).toEqual([...ids].reverse().slice(0, 3));
    const page2 = await get(key, undefined, `?limit=3&cursor=${encodeURIComponent(page1.body.nextCursor as string)}`);
    expect(page2.body).toMatchObject({ messages: [{ id: ids[0], status: "DELIVERED" }], nextCursor: null });
    const undelivered = await get(key, undefined, "?status=UNDELIVERABLE");
    expect((undelivered.body.messages as Json[]).map((m) => [m.id, m.reason])).toEqual([[ids[3], "ERR_001"]]);

    await waitFor(
      () => viewer.messages.get({ id: ids[3]! }),
      (d) => d.charges.length === 2 && d.webhook?.state === "DELIVERED",
      { what: "the failed message's refund and webhook", timeoutMs: 30_000 },
    );
    const failed = await viewer.messages.get({ id: ids[3]! });
    expect(failed.message).toMatchObject({ status: "UNDELIVERABLE", recipient: "+447911120001" });
    expect(failed.submission).toMatchObject({
      state: "SUBMITTED",
      attempts: 1,
      provider: { name: expect.any(String) },
    });
    expect(failed.providerMessageIds).toHaveLength(1);
    expect(failed.charges.map((c) => [c.kind, c.amount, c.currency]).sort()).toEqual([
      ["CHARGE", -2n, "USD"],
      ["REFUND", 2n, "USD"],
    ]);
    expect(failed.webhook).toMatchObject({ state: "DELIVERED", attempts: 1, lastHttpStatus: 200 });
    await expect(viewer.messages.get({ id: "no-such-message" })).rejects.toThrow(/not found/);
    await endpoint.close();
  });
});

describe("priority", () => {
  it("an OTP sent through the API during a marketing campaign goes out ahead of the campaign's queued messages", async () => {
    // 600 marketing messages through a provider capped at 60 a second: the campaign takes about 10 s to go out.
    const { client, key, operator } = await apiClient({ maxTps: 60, balance: 100_000n });
    const recipients = Array.from({ length: 600 }, (_, i) => `+4479112${31_000 + i}`);
    const campaign = await operator.campaigns.create({
      clientId: client.id,
      name: `priority ${randomUUID().slice(0, 6)}`,
      senderId: "TESTCO",
      template: "Winter sale: 20% off",
      recipients: { kind: "paste", text: recipients.join("\n") },
    });
    await operator.campaigns.launch({ id: campaign.id });
    const submittedOf = (id: string) =>
      deps.db.pool
        .query<{ n: number }>(
          `SELECT count(*)::int AS n FROM submissions WHERE message_id LIKE $1 AND state = 'SUBMITTED'`,
          [`${id}-%`],
        )
        .then((r) => r.rows[0]!.n);
    await waitFor(
      () => submittedOf(campaign.id),
      (n) => n >= 100,
      { what: "the campaign to be under way", timeoutMs: 60_000, intervalMs: 100 },
    );

    const otp = (await (
      await post("/api/v1/messages", key, {
        to: "+447911123450",
        from: "TESTCO",
        text: "Your code is 551204",
        category: "authentication",
      })
    ).json()) as Json;
    await waitForFinal(key, otp.id as string);
    const view = await waitFor(
      () => operator.campaigns.get({ id: campaign.id }),
      (c) => c.status === "COMPLETED",
      { what: "the campaign to complete", timeoutMs: 90_000, intervalMs: 500 },
    );
    expect(view.counts).toEqual({ DELIVERED: 600 });

    // Decided on the carrier's side of bulk-proc: how many campaign messages were submitted after the OTP was.
    const { rows } = await deps.db.pool.query<{ after: number; before: number }>(
      `SELECT count(*) FILTER (WHERE s.submitted_at > o.submitted_at)::int AS after,
              count(*) FILTER (WHERE s.submitted_at <= o.submitted_at)::int AS before
       FROM submissions s, submissions o WHERE o.message_id = $1 AND s.message_id LIKE $2`,
      [otp.id, `${campaign.id}-%`],
    );
    // It went out with most of the campaign still to go. Behind the marketing already queued in bulk-proc (the queue
    // made first in, first out), 204 went after it instead of 494: it would have waited for ~300 of them.
    expect(rows[0]!.before + rows[0]!.after).toBe(600);
    expect(rows[0]!.after).toBeGreaterThan(300);
  });
});
