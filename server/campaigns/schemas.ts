import { z } from "zod";

export const campaignCategory = z.enum(["MARKETING", "AUTHENTICATION", "AGENT_FLOW"]);

export const recipientsSource = z.discriminatedUnion("kind", [
  // A pasted list: numbers separated by new lines, commas or semicolons.
  z.object({ kind: z.literal("paste"), text: z.string().min(1, "Add at least one recipient").max(10_000_000) }),
  // A CSV uploaded beforehand through POST /api/uploads.
  z.object({ kind: z.literal("upload"), uploadId: z.string().min(1) }),
]);

export const createCampaignInput = z.object({
  clientId: z.string().min(1, "Choose a client"),
  name: z.string().trim().min(1, "Name is required").max(120),
  senderId: z
    .string()
    .trim()
    .min(1, "Sender ID is required")
    .max(15, "Sender IDs are at most 11 characters, or a number of at most 15 digits")
    .refine((s) => /^\+?\d{1,15}$/.test(s) || s.length <= 11, "Alphanumeric sender IDs are at most 11 characters"),
  template: z.string().min(1, "Message text is required").max(1600),
  category: campaignCategory.default("MARKETING"),
  recipients: recipientsSource,
  allowDefer: z.boolean().default(true),
  rateLimitPerSecond: z.number().int().min(1).max(1_000_000).nullish(),
  scheduledAt: z.date().nullish(),
});
export type CreateCampaignInput = z.infer<typeof createCampaignInput>;

export const campaignIdInput = z.object({ id: z.string().min(1) });

// hold: set the quoted amount aside from a prepaid balance before starting.
export const launchCampaignInput = campaignIdInput.extend({ hold: z.boolean().default(false) });

export const listCampaignsInput = z.object({
  limit: z.number().int().min(1).max(100).default(25),
  cursor: z.string().nullish(),
});
