import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBulkProc } from "@/server/delivery/bulk-proc-worker";
import { providerStatusKey } from "@/server/delivery/keys";
import type { HttpProviderSettingsInput } from "@/server/delivery/http/schemas";
import { handleReceiptWebhook } from "@/server/delivery/http/webhook";
import { TOPICS, type MessageStatusEvent } from "@/server/kafka/topics";
import type { StartedWorker } from "@/server/worker/run-worker";
import {
  callerAs,
  createTestClient,
  createTestDeps,
  PREPAID_DELIVERY_STAGES,
  readTopic,
  startStages,
  statusEventsOnTopic,
  waitFor,
} from "./helpers";

// The HTTP provider through bulk-proc (issue #5): campaign → validator → prepaid lane → bulk-proc → the generic HTTP
// adapter → a carrier API played by a node:http server in this test → receipts on the webhook → final statuses and
// refunds, against the real Postgres, Redis and Kafka.

let deps: Awaited<ReturnType<typeof createTestDeps>>;
let stages: { stop(): Promise<void> } | undefined;
let bulkProc: StartedWorker | undefined;
let carrier: FakeCarrier | undefined;
const providerIds: string[] = [];
const ruleIds: string[] = [];
const RECEIPT_TOKEN = `tok-${randomUUID()}`;
const AUTH = `Bearer key-${randomUUID()}`;
// The bulk-proc of this run binds only this run's providers (the database is shared with other runs).
const namePrefix = () => deps.env.KAFKA_TOPIC_PREFIX;

type Recorded = { headers: IncomingMessage["headers"]; body: Record<string, unknown>; url: string };

/** The carrier's API: takes one JSON message per POST, answers with its own id, refuses `refused` numbers for good. */
class FakeCarrier {
  readonly requests: Recorded[] = [];
  /** Carrier id per Volley message id, for the messages it took. */
  readonly accepted = new Map<string, string>();

  private constructor(
    private readonly server: Server,
    private readonly refused: Set<string>,
  ) {}

  static async start(refused: string[]): Promise<FakeCarrier> {
    let carrier: FakeCarrier | undefined = undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
        carrier!.requests.push({ headers: req.headers, body, url: req.url ?? "" });
        res.setHeader("content-type", "application/json");
        if (carrier!.refused.has(String(body.destination))) {
          res.writeHead(400);
          res.end(JSON.stringify({ error: { code: "INVALID_DESTINATION", message: "number not reachable" } }));
          return;
        }
        const carrierId = `carrier-${randomUUID()}`;
        carrier!.accepted.set(String(body.reference), carrierId);
        res.writeHead(200);
        res.end(JSON.stringify({ messages: [{ messageId: carrierId, status: "PENDING_ACCEPTED" }] }));
      });
    });
    carrier = new FakeCarrier(server, new Set(refused));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    return carrier;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/sms/send`;
  }

  /** Requests per Volley message id (the body's `reference`). */
  requestCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const r of this.requests)
      counts.set(String(r.body.reference), (counts.get(String(r.body.reference)) ?? 0) + 1);
    return counts;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

beforeAll(async () => {
  deps = await createTestDeps();
  stages = await startStages(deps, PREPAID_DELIVERY_STAGES);
  bulkProc = await startBulkProc({ ...deps, env: { ...deps.env, DELIVERY_PROVIDER_NAME_PREFIX: namePrefix() } });
});

afterAll(async () => {
  await bulkProc?.stop();
  await stages?.stop();
  await carrier?.stop();
  await deps.db.prisma.routingRule.deleteMany({ where: { id: { in: ruleIds } } });
  await deps.db.prisma.providerMessage.deleteMany({ where: { providerId: { in: providerIds } } });
  await deps.db.prisma.provider.deleteMany({ where: { id: { in: providerIds } } });
  await deps?.close();
});

/** An HTTP provider row for the carrier and a routing rule sending everything of this client to it (and only it). */
async function routeToCarrier(clientId: string, url: string) {
  const settings = {
    url,
    authHeader: "Authorization",
    authValue: AUTH,
    fieldMapping: { to: "destination", from: "source", text: "text", id: "reference" },
    staticFields: { channel: "sms" },
    responseIdPath: "messages.0.messageId",
    responseErrorPath: "error.code",
    timeoutMs: 10_000,
    receiptToken: RECEIPT_TOKEN,
    receiptListPath: "results",
    receiptIdPath: "messageId",
    receiptStatusPath: "status.groupName",
    receiptErrorPath: "error.id",
    receiptStatusMap: { DELIVERED_TO_HANDSET: "DELIVERED", NOT_DELIVERED: "UNDELIVERABLE" },
  } satisfies HttpProviderSettingsInput;
  const provider = await deps.db.prisma.provider.create({
    data: { name: `${namePrefix()}http-${randomUUID().slice(0, 8)}`, kind: "HTTP", maxTps: 0, settings },
  });
  providerIds.push(provider.id);
  const rule = await deps.db.prisma.routingRule.create({ data: { clientId, prefix: "", providerIds: [provider.id] } });
  ruleIds.push(rule.id);
  // The status the pool publishes for the console: bulk-proc has loaded the provider.
  await waitFor(
    () => deps.redis.hgetall(providerStatusKey(deps.env.KAFKA_TOPIC_PREFIX, provider.id)),
    (h) => h.state === "bound",
    { what: `provider ${provider.id} loaded by bulk-proc`, timeoutMs: 60_000 },
  );
  return provider;
}

function postReceipts(providerId: string, body: unknown) {
  return handleReceiptWebhook(
    deps.api,
    providerId,
    new Request(`http://127.0.0.1/api/providers/${providerId}/receipts`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-volley-webhook-token": RECEIPT_TOKEN },
      body: JSON.stringify(body),
    }),
  );
}

const balanceOf = async (clientId: string) =>
  (await deps.db.prisma.account.findFirstOrThrow({ where: { clientId } })).balance;

describe("delivery through bulk-proc and the HTTP provider", () => {
  it("submits each message once, records the carrier's ids and refusal, and settles statuses from webhook receipts", async () => {
    const delivered = ["+447911295001", "+447911295002", "+447911295003"];
    const undeliverable = "+447911295004";
    const refused = "+447911295005";
    const recipients = [...delivered, undeliverable, refused];
    carrier = await FakeCarrier.start([refused]);
    const client = await createTestClient(deps.api, { balance: 10_000n });
    const provider = await routeToCarrier(client.id, carrier.url);
    const opening = await balanceOf(client.id);

    const caller = await callerAs(deps.api, "OPERATOR");
    const text = "Your parcel arrives today";
    const c = await caller.campaigns.create({
      clientId: client.id,
      name: `http delivery ${randomUUID().slice(0, 6)}`,
      senderId: "TESTCO",
      template: text,
      recipients: { kind: "paste", text: recipients.join("\n") },
    });
    await caller.campaigns.launch({ id: c.id });

    // bulk-proc has recorded every carrier answer: four taken, one refused.
    const submissions = await waitFor(
      () => deps.db.prisma.submission.findMany({ where: { clientId: client.id } }),
      (rows) => rows.length === recipients.length && rows.every((s) => s.state === "SUBMITTED" || s.state === "FAILED"),
      { what: "every submission answered by the carrier", timeoutMs: 60_000 },
    );
    const byRecipient = new Map(submissions.map((s) => [s.recipient, s]));
    const idOf = (n: string) => byRecipient.get(n)!.messageId;
    const ids = recipients.map(idOf);

    // Each message reached the carrier exactly once, as the provider's settings map it.
    expect(carrier.requestCounts()).toEqual(new Map(ids.map((id) => [id, 1])));
    expect(carrier.requests.every((r) => r.url === "/sms/send" && r.headers.authorization === AUTH)).toBe(true);
    expect(
      carrier.requests.map((r) => r.body).sort((a, b) => String(a.destination).localeCompare(String(b.destination))),
    ).toEqual(recipients.map((n) => ({ channel: "sms", destination: n, source: "TESTCO", text, reference: idOf(n) })));
    for (const n of [...delivered, undeliverable]) {
      expect(byRecipient.get(n)).toMatchObject({
        state: "SUBMITTED",
        providerId: provider.id,
        providerMessageId: carrier.accepted.get(idOf(n)),
        attempts: 1,
      });
    }
    expect(byRecipient.get(refused)).toMatchObject({
      state: "FAILED",
      providerId: provider.id,
      providerMessageId: null,
      lastError: "REJECTED HTTP_400:INVALID_DESTINATION",
      attempts: 1,
    });
    expect(carrier.accepted.has(idOf(refused))).toBe(false);

    // The carrier reports on the messages it took.
    const res = await postReceipts(provider.id, {
      results: [
        ...delivered.map((n) => ({
          messageId: carrier!.accepted.get(idOf(n)),
          status: { groupName: "DELIVERED_TO_HANDSET" },
        })),
        {
          messageId: carrier.accepted.get(idOf(undeliverable)),
          status: { groupName: "NOT_DELIVERED" },
          error: { id: 27 },
        },
      ],
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: 4, ignored: 0 });

    const view = await waitFor(
      () => caller.campaigns.get({ id: c.id }),
      (v) => v.status === "COMPLETED" && v.processed === recipients.length,
      { what: `campaign ${c.id} to complete`, timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(view.counts).toEqual({ DELIVERED: 3, UNDELIVERABLE: 1, REJECTED: 1 });
    const messages = await deps.db.prisma.message.findMany({ where: { campaignId: c.id } });
    expect(new Map(messages.map((m) => [m.recipient, [m.id, m.status, m.statusReason, m.providerMessageId]]))).toEqual(
      new Map<string, unknown[]>([
        ...delivered.map((n): [string, unknown[]] => [n, [idOf(n), "DELIVERED", null, carrier!.accepted.get(idOf(n))]]),
        [undeliverable, [idOf(undeliverable), "UNDELIVERABLE", "ERR_27", carrier.accepted.get(idOf(undeliverable))]],
        [refused, [idOf(refused), "REJECTED", "HTTP_400:INVALID_DESTINATION", null]],
      ]),
    );

    // On message-status, counted by distinct message id (Kafka is at least once): one final status each.
    const finals = new Set(["DELIVERED", "UNDELIVERABLE", "REJECTED", "EXPIRED", "FAILED"]);
    const wanted = new Set(ids);
    const finalEvents = (records: { value: string }[]) =>
      statusEventsOnTopic(records).filter((e) => wanted.has(e.messageId) && finals.has(e.status));
    const records = await readTopic(
      deps.kafka,
      deps.env.KAFKA_TOPIC_PREFIX + TOPICS.messageStatus.name,
      (rs) => new Set(finalEvents(rs).map((e) => e.messageId)).size === ids.length,
    );
    const decided = new Map<string, Set<string>>();
    for (const e of finalEvents(records)) {
      decided.set(e.messageId, (decided.get(e.messageId) ?? new Set()).add(`${e.status} ${e.reason ?? ""}`.trim()));
    }
    expect(decided).toEqual(
      new Map<string, Set<string>>([
        ...delivered.map((n): [string, Set<string>] => [idOf(n), new Set(["DELIVERED"])]),
        [idOf(undeliverable), new Set(["UNDELIVERABLE ERR_27"])],
        [idOf(refused), new Set(["REJECTED HTTP_400:INVALID_DESTINATION"])],
      ]),
    );

    // Five charged at 2 each; the undeliverable and the refused one refunded.
    await waitFor(
      () => balanceOf(client.id),
      (b) => b === opening - 3n * 2n,
      { what: "failures refunded", timeoutMs: 60_000 },
    );
    // Nothing was sent again meanwhile (receipts, refunds and redeliveries submit nothing).
    expect(carrier.requestCounts()).toEqual(new Map(ids.map((id) => [id, 1])));
  });
});
