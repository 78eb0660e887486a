import { z } from "zod";
import { FINAL_STATUSES } from "../messages/status";
import { inboundKeyword } from "../inbound/schemas";

export const webhookClientInput = z.object({ clientId: z.string().min(1) });

export const setWebhookUrlInput = z.object({
  clientId: z.string().min(1),
  // null removes it: no more calls are recorded (pending ones fail as "no webhook URL").
  url: z
    .url({ protocol: /^https?$/, error: "Give an http(s) URL" })
    .max(2000)
    .nullable(),
});

/** A sent message reached its final status (its `id` is the delivery's, which is the message's: one call per message). */
export const messageStatusWebhook = z.object({
  id: z.string(),
  type: z.literal("message.status"),
  messageId: z.string(),
  status: z.enum(FINAL_STATUSES),
  /** Machine-readable reason of a failure (ERR_001, INVALID_NUMBER, …), else null. */
  reason: z.string().nullable(),
  /** When the status was reached (ISO 8601). */
  at: z.string(),
});

/** A handset wrote to one of the client's numbers or sender ids (its `id` is the reply's: one call per reply). */
export const messageReceivedWebhook = z.object({
  id: z.string(),
  type: z.literal("message.received"),
  replyId: z.string(),
  /** The id of the client's message it answers (its latest to this handset from this address), if any. */
  inReplyTo: z.string().nullable(),
  /** The handset (E.164). */
  from: z.string(),
  /** The client's number or sender id it wrote to. */
  to: z.string(),
  text: z.string(),
  /** OPT_OUT (STOP and the like: Volley has opted the number out of this client), OPT_IN (START), HELP, or null. */
  keyword: inboundKeyword.nullable(),
  /** When the carrier handed it over (ISO 8601). */
  at: z.string(),
});

/** The body of every webhook call. */
export const webhookEvent = z.discriminatedUnion("type", [messageStatusWebhook, messageReceivedWebhook]);
export type WebhookEvent = z.infer<typeof webhookEvent>;
