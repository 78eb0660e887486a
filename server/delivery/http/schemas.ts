import { z } from "zod";

// Provider.settings for kind HTTP: a generic JSON-over-HTTP carrier API. One message per POST, its fields placed in
// the body where the provider wants them; receipts come back on our webhook (/api/providers/<id>/receipts).

/** `a.b.c`; numeric segments index arrays (`results.0.id`). */
export const dottedPath = z
  .string()
  .regex(/^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/, "must be a dotted path such as `message.to` or `results.0.id`");

export const receiptStatus = z.enum(["DELIVERED", "UNDELIVERABLE", "EXPIRED", "REJECTED"]);

export const httpFieldMappingSchema = z.object({
  to: dottedPath.default("to"),
  from: dottedPath.default("from"),
  text: dottedPath.default("text"),
  /** Our message id, which the provider may echo back; left out of the body when absent. */
  id: dottedPath.optional(),
  /** GSM7 / UCS2 (or the names in `encodingValues`); left out when absent, the provider then works it out. */
  encoding: dottedPath.optional(),
});

export const httpProviderSettingsSchema = z.object({
  url: z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }),
  method: z.literal("POST").default("POST"),
  /** e.g. "Authorization" with "Bearer …"; the header is sent only when authValue is set. */
  authHeader: z
    .string()
    .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, "must be an HTTP header name")
    .default("Authorization"),
  authValue: z.string().default(""),
  /** Sent on every request as they are (e.g. an API version header). */
  headers: z.record(z.string(), z.string()).default({}),
  /** For the whole exchange: connect, send, response headers and body. */
  timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  /** Requests awaiting their response at once (the provider's "window"). */
  concurrency: z.number().int().min(1).max(1000).default(20),
  fieldMapping: httpFieldMappingSchema.prefault({}),
  /** How `to` is written: "+447911123456" or "447911123456". */
  numberFormat: z.enum(["e164", "digits"]).default("e164"),
  encodingValues: z.object({ GSM7: z.string().min(1), UCS2: z.string().min(1) }).prefault({
    GSM7: "GSM7",
    UCS2: "UCS2",
  }),
  /** Fixed body fields the provider requires (e.g. `{ "type": "sms" }`); the mapped fields are written over them. */
  staticFields: z.record(z.string(), z.unknown()).default({}),
  /** Where the provider's message id is in a 2xx response's JSON. */
  responseIdPath: dottedPath.default("id"),
  /**
   * Where the provider's own error code is in a refusal's (non-2xx) JSON: kept with the HTTP status in the reason
   * (`HTTP_400:INVALID_DESTINATION`), so operators and clients see why the carrier refused.
   */
  responseErrorPath: dottedPath.optional(),
  /** 429 answers retried per message before it fails transiently (like ESME_RTHROTTLED). */
  throttleRetryLimit: z.number().int().min(0).max(100).default(10),
  throttleBackoffBaseMs: z.number().int().min(1).default(100),
  throttleBackoffMaxMs: z.number().int().min(1).default(2_000),
  /** A Retry-After longer than this fails the message transiently at once rather than holding every sender. */
  retryAfterMaxMs: z.number().int().min(0).default(10_000),
  /** How long a message may wait for a slot (concurrency, throughput cap, 429 pause) before failing transiently. */
  queueTimeoutMs: z.number().int().min(100).default(60_000),
  /** Consecutive network failures (refused, reset, timed out) after which status() says "disconnected". */
  disconnectAfterFailures: z.number().int().min(1).default(3),

  /**
   * Secret the provider presents on the webhook: header `X-Volley-Webhook-Token` or `?token=`. Empty = the webhook
   * refuses every request (the provider can still be sent to).
   */
  receiptToken: z.union([z.literal(""), z.string().min(16, "must be empty or at least 16 characters")]).default(""),
  /** Where the receipts are when the provider wraps them (`{ "results": [...] }`); else the body is one or an array. */
  receiptListPath: dottedPath.optional(),
  receiptIdPath: dottedPath.default("id"),
  receiptStatusPath: dottedPath.default("status"),
  receiptErrorPath: dottedPath.optional(),
  /** The handset number, when the provider sends it: lets a receipt settle a submission whose answer was lost. */
  receiptRecipientPath: dottedPath.optional(),
  /**
   * Provider status values (case-insensitive) → final status, or null for an intermediate one (ignored). Looked up
   * before the built-in names (DELIVRD, DELIVERED, UNDELIV, EXPIRED, REJECTD, …).
   */
  receiptStatusMap: z.record(z.string(), receiptStatus.nullable()).default({}),

  /**
   * Handsets' replies on /api/providers/<id>/inbound (same token): one object, an array, or the array at
   * inboundListPath; each with the handset's number, the address it wrote to and the text where these say.
   */
  inboundListPath: dottedPath.optional(),
  inboundFromPath: dottedPath.default("from"),
  inboundToPath: dottedPath.default("to"),
  inboundTextPath: dottedPath.default("text"),
});

export type HttpProviderSettings = z.infer<typeof httpProviderSettingsSchema>;
export type HttpProviderSettingsInput = z.input<typeof httpProviderSettingsSchema>;
export type HttpFieldMapping = z.infer<typeof httpFieldMappingSchema>;
