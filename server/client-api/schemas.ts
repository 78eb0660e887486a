import { z } from "zod";
import { messageStatus } from "../kafka/topics";

export const listApiKeysInput = z.object({ clientId: z.string().min(1) });

export const createApiKeyInput = z.object({
  clientId: z.string().min(1),
  name: z.string().trim().min(1, "Give the key a name (what uses it)").max(100),
});

export const revokeApiKeyInput = z.object({ id: z.string().min(1) });

/** GET /api/v1/balance query: a client with several accounts may pick one. */
export const balanceQuery = z.object({ accountId: z.string().min(1).max(64).optional() });

/** Integer minor units as a string (JSON has no exact integers this large). */
const minor = z.string().regex(/^-?\d+$/);

/** The response contract of GET /api/v1/balance. */
export const balanceResponse = z.object({
  clientId: z.string(),
  accountId: z.string(),
  billingType: z.enum(["PREPAID", "POSTPAID"]),
  clientStatus: z.enum(["ACTIVE", "SUSPENDED"]),
  currency: z.string().length(3),
  /** Settled balance (Postgres). */
  balance: minor,
  /** Prepaid: what can be spent now (settled − reservations in flight). Postpaid: creditLimit − unbilledUsage − reservations in flight. */
  available: minor,
  lowBalanceThreshold: minor,
  isLow: z.boolean(),
  creditLimit: minor.optional(),
  unbilledUsage: minor.optional(),
  /** The same amounts in major units with the currency, e.g. "1,234.56 USD", as the console shows them. */
  formatted: z.record(z.string(), z.string()),
});
export type BalanceResponse = z.infer<typeof balanceResponse>;

/** The API's names for message categories (the pipeline's, in lower case). */
const apiCategory = z
  .enum(["marketing", "authentication", "agent_flow"])
  .transform((c) => c.toUpperCase() as "MARKETING" | "AUTHENTICATION" | "AGENT_FLOW");

/** One message of POST /api/v1/messages (or of a batch). Bounds are the pipeline's own (see topics.ts). */
export const sendMessageInput = z.strictObject({
  to: z.string().trim().min(1, "Give the recipient's number").max(64),
  from: z.string().trim().min(1, "Give a sender ID").max(20),
  text: z.string().min(1, "The message has no text").max(5000),
  /** authentication and agent_flow take the high-priority lane; marketing (the default) respects quiet hours. */
  category: apiCategory.default("MARKETING"),
  /** {{name}} placeholders in the text are filled from these, as in campaign templates. */
  variables: z.record(z.string().max(100), z.string().max(1000)).optional(),
  /**
   * The caller's idempotency key: the same reference from the same client is the same message, sent and charged
   * once however often the request is retried.
   */
  reference: z
    .string()
    .regex(/^[\x21-\x7e]{1,100}$/, "A reference is 1–100 printable ASCII characters without spaces")
    .optional(),
  /** Marketing that falls in the client's quiet hours waits for them to end (true, the default) or is rejected. */
  allowDefer: z.boolean().optional(),
});
export type SendMessageInput = z.infer<typeof sendMessageInput>;

export const MAX_BATCH_MESSAGES = 1000;

/** POST /api/v1/messages/batch: shared fields once, each message overriding what it names. */
export const sendBatchInput = z.strictObject({
  defaults: sendMessageInput.pick({ from: true, text: true, category: true, allowDefer: true }).partial().optional(),
  messages: z
    .array(z.record(z.string(), z.unknown()))
    .min(1, "The batch has no messages")
    .max(MAX_BATCH_MESSAGES, `At most ${MAX_BATCH_MESSAGES} messages per batch`),
});

/** What the API says of a message: as sent (accepted) and as read back (GET). */
export const messageResponse = z.object({
  id: z.string(),
  status: z.string(),
  /** Machine-readable reason of a rejection or failure (INVALID_NUMBER, OPTED_OUT, …), else null. */
  reason: z.string().nullable(),
  to: z.string(),
  from: z.string(),
  category: z.enum(["marketing", "authentication", "agent_flow"]),
  /** Known once the message is validated (null while QUEUED). */
  segments: z.number().nullable(),
  encoding: z.enum(["GSM7", "UCS2"]).nullable(),
  createdAt: z.string(),
  submittedAt: z.string().nullable(),
  finalAt: z.string().nullable(),
});
export type MessageResponse = z.infer<typeof messageResponse>;

/** GET /api/v1/messages: by the reference a message was sent with, or the client's messages newest first. */
export const listMessagesQuery = z.strictObject({
  status: messageStatus.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  /** nextCursor of the page before. */
  cursor: z.string().max(300).optional(),
});
export type ListMessagesQuery = z.infer<typeof listMessagesQuery>;
