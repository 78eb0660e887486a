import { z } from "zod";
import { messageStatus } from "../kafka/topics";

/**
 * The console's message search. Every search is served by an index: a message id, a recipient (exact, as stored:
 * E.164 once validated), or a client's messages newest first; status and source narrow those down.
 */
export const searchMessagesInput = z
  .object({
    messageId: z.string().trim().min(1).max(200).optional(),
    // Spaces, dashes, dots and brackets as people write numbers are dropped; a leading 00 is +.
    recipient: z
      .string()
      .transform((s) => s.replace(/[\s().-]/g, "").replace(/^00/, "+"))
      .pipe(z.string().min(1).max(64))
      .optional(),
    clientId: z.string().min(1).optional(),
    status: messageStatus.optional(),
    source: z.enum(["api", "campaign"]).optional(),
    limit: z.number().int().min(1).max(100).default(50),
    // The last row of the previous page: "<created_at ISO>|<id>".
    cursor: z.string().max(300).nullish(),
  })
  .refine((q) => q.messageId || q.recipient || q.clientId, {
    message: "Search by message id, by recipient, or pick a client",
  });
export type SearchMessagesInput = z.infer<typeof searchMessagesInput>;

export const messageIdInput = z.object({ id: z.string().min(1).max(200) });
