import { z } from "zod";
import { FINAL_STATUSES } from "../messages/status";

export const webhookClientInput = z.object({ clientId: z.string().min(1) });

export const setWebhookUrlInput = z.object({
  clientId: z.string().min(1),
  // null removes it: no more calls are recorded (pending ones fail as "no webhook URL").
  url: z
    .url({ protocol: /^https?$/, error: "Give an http(s) URL" })
    .max(2000)
    .nullable(),
});

/** The body of every webhook call (its `id` is the delivery's, which is the message's: one call per message). */
export const webhookEvent = z.object({
  id: z.string(),
  type: z.literal("message.status"),
  messageId: z.string(),
  status: z.enum(FINAL_STATUSES),
  /** Machine-readable reason of a failure (ERR_001, INVALID_NUMBER, …), else null. */
  reason: z.string().nullable(),
  /** When the status was reached (ISO 8601). */
  at: z.string(),
});
export type WebhookEvent = z.infer<typeof webhookEvent>;
