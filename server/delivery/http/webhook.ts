import type { ApiDeps } from "@/server/api/deps";
import { errorResponse, jsonError, jsonOk } from "@/server/client-api/http";
import { metrics } from "@/server/observability/metrics";
import { webStreamChunks } from "@/server/uploads/request-body";
import { handleProviderReceipts } from "../receipts";
import { inboundRecord, publishInbound } from "@/server/inbound/forward";
import { parseInboundBody, parseReceiptBody, WebhookBodyError } from "./mapping";
import { httpProviderSettingsSchema, type HttpProviderSettings } from "./schemas";
import { readPresentedToken, tokensEqual } from "./token";

type Deps = Pick<ApiDeps, "db" | "redis" | "producer" | "env" | "log">;

/** Receipt batches are small; a body over this is not a receipt batch (and is not read into memory). */
export const MAX_RECEIPT_BODY_BYTES = 1024 * 1024;

/** The body as text, or null as soon as it passes `maxBytes` (a chunked body declares no length up front). */
async function readBodyText(request: Request, maxBytes: number): Promise<string | null> {
  if (Number(request.headers.get("content-length") ?? 0) > maxBytes) return null;
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of webStreamChunks(request.body)) {
    size += chunk.byteLength;
    if (size > maxBytes) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

type Authenticated = { provider: { id: string; name: string }; settings: HttpProviderSettings; text: string };

/**
 * The part every provider webhook shares: the provider (an HTTP one), its token (header X-Volley-Webhook-Token or
 * ?token=, compared in constant time to receiptToken) and the body as text, bounded. A Response when any fails.
 */
async function authenticate(
  deps: Deps,
  providerId: string,
  request: Request,
  what: string,
): Promise<Authenticated | Response> {
  const provider = await deps.db.prisma.provider.findUnique({
    where: { id: providerId },
    select: { id: true, name: true, kind: true, settings: true },
  });
  if (!provider || provider.kind !== "HTTP") return jsonError("NOT_FOUND", "Provider not found", 404);
  const settings = httpProviderSettingsSchema.safeParse(provider.settings);
  if (!settings.success) {
    deps.log.error({ providerId, issues: settings.error.issues }, "http provider settings are invalid");
    return jsonError("INTERNAL", "Internal error", 500);
  }

  if (!settings.data.receiptToken) {
    return jsonError("UNAUTHORIZED", "This provider has no webhook token configured: set receiptToken", 401);
  }
  const presented = readPresentedToken(request);
  if (!presented) {
    return jsonError("UNAUTHORIZED", "Missing webhook token: send it in the X-Volley-Webhook-Token header", 401);
  }
  if (!tokensEqual(presented, settings.data.receiptToken)) {
    deps.log.warn({ providerId }, `${what} webhook called with a wrong token`);
    return jsonError("UNAUTHORIZED", "Invalid webhook token", 401);
  }

  const text = await readBodyText(request, MAX_RECEIPT_BODY_BYTES);
  if (text === null) return jsonError("PAYLOAD_TOO_LARGE", `Body over ${MAX_RECEIPT_BODY_BYTES} bytes`, 413);
  return { provider: { id: provider.id, name: provider.name }, settings: settings.data, text };
}

/**
 * POST /api/providers/<id>/receipts, as a plain function of the request. The provider authenticates with the
 * receiptToken from its settings; its receipts (one object or an array, fields where the settings say) go to
 * handleProviderReceipts exactly like SMPP deliver_sm receipts. Any failure after parsing is a 500, so the provider
 * sends the batch again; handleProviderReceipts takes a repeated receipt in its stride.
 */
export async function handleReceiptWebhook(deps: Deps, providerId: string, request: Request): Promise<Response> {
  try {
    const auth = await authenticate(deps, providerId, request, "receipt");
    if (auth instanceof Response) return auth;
    const { provider, settings, text } = auth;
    let parsed;
    try {
      parsed = parseReceiptBody(settings, text);
    } catch (err) {
      if (err instanceof WebhookBodyError) return jsonError("BAD_REQUEST", err.message, 400);
      throw err;
    }
    if (parsed.unknown.length > 0) {
      // Left out rather than refusing the batch: the known ones are good, and the log tells the operator which
      // value to add to receiptStatusMap.
      deps.log.warn({ providerId, unknown: parsed.unknown.slice(0, 20) }, "receipts with an unknown status ignored");
    }

    if (parsed.receipts.length > 0) {
      await handleProviderReceipts(
        {
          db: deps.db,
          redis: deps.redis,
          producer: await deps.producer(),
          topicPrefix: deps.env.KAFKA_TOPIC_PREFIX,
          correlationTtlSeconds: deps.env.DELIVERY_CORRELATION_TTL_SECONDS,
        },
        provider.id,
        parsed.receipts,
      );
      for (const r of parsed.receipts) metrics.httpProviderReceipts.inc({ provider: provider.name, status: r.status });
    }
    return jsonOk({
      accepted: parsed.receipts.length,
      ignored: parsed.intermediate + parsed.unknown.length,
    });
  } catch (err) {
    return errorResponse(err, deps.log, "receipt webhook");
  }
}

/**
 * POST /api/providers/<id>/inbound: handsets' replies (one object or an array, fields where the settings say), put
 * on inbound-messages like those arriving on an SMPP bind. 200 once Kafka has them; any failure after parsing is a
 * 500, so the provider sends them again.
 */
export async function handleInboundWebhook(deps: Deps, providerId: string, request: Request): Promise<Response> {
  try {
    const auth = await authenticate(deps, providerId, request, "inbound");
    if (auth instanceof Response) return auth;
    let replies;
    try {
      replies = parseInboundBody(auth.settings, auth.text);
    } catch (err) {
      if (err instanceof WebhookBodyError) return jsonError("BAD_REQUEST", err.message, 400);
      throw err;
    }
    const receivedAt = new Date();
    await publishInbound(
      await deps.producer(),
      deps.env.KAFKA_TOPIC_PREFIX,
      replies.map((sms) => inboundRecord(auth.provider.id, sms, receivedAt)),
    );
    return jsonOk({ accepted: replies.length });
  } catch (err) {
    return errorResponse(err, deps.log, "inbound webhook");
  }
}
