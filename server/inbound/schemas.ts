import { z } from "zod";

export const inboundKeyword = z.enum(["OPT_OUT", "OPT_IN", "HELP"]);

/**
 * The console's replies list, newest first: every reply, or one client's (index on client_id, received_at), or one
 * handset's (index on msisdn); keyword narrows them down ("none": replies that are no keyword).
 */
export const listRepliesInput = z.object({
  clientId: z.string().min(1).optional(),
  // The replies to one campaign's messages (index on campaign_id, received_at).
  campaignId: z.string().min(1).optional(),
  // Written as people write numbers: spaces, dashes, dots and brackets dropped, a leading 00 is +.
  msisdn: z
    .string()
    .transform((s) => s.replace(/[\s().-]/g, "").replace(/^00/, "+"))
    .pipe(z.string().min(1).max(64))
    .optional(),
  keyword: z.union([inboundKeyword, z.literal("none")]).optional(),
  limit: z.number().int().min(1).max(100).default(50),
  // The last row of the previous page: "<received_at ISO>|<id>".
  cursor: z.string().max(300).nullish(),
});
export type ListRepliesInput = z.infer<typeof listRepliesInput>;

// At most three GSM-7 segments: an answer is charged like any message.
const answerText = z.string().trim().max(459).nullable();

/** A client's answers to STOP, START and HELP replies; null (or empty) sends none. */
export const keywordAnswersInput = z.object({
  clientId: z.string().min(1),
  stop: answerText.transform((s) => s || null),
  start: answerText.transform((s) => s || null),
  help: answerText.transform((s) => s || null),
});
export type KeywordAnswersInput = z.infer<typeof keywordAnswersInput>;
