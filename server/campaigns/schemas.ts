import { z } from "zod";

export const campaignCategory = z.enum(["MARKETING", "AUTHENTICATION", "AGENT_FLOW"]);

export const createCampaignInput = z.object({
  clientId: z.string().min(1, "Choose a client"),
  name: z.string().trim().min(1, "Name is required").max(120),
  senderId: z
    .string()
    .trim()
    .min(1, "Sender ID is required")
    .max(11, "Alphanumeric sender IDs are at most 11 characters"),
  template: z.string().min(1, "Message text is required").max(1600),
  category: campaignCategory.default("MARKETING"),
  // A pasted list: numbers separated by new lines, commas or semicolons.
  recipients: z.string().min(1, "Add at least one recipient").max(10_000_000),
});
export type CreateCampaignInput = z.infer<typeof createCampaignInput>;

export const campaignIdInput = z.object({ id: z.string().min(1) });

export const listCampaignsInput = z.object({
  limit: z.number().int().min(1).max(100).default(25),
  cursor: z.string().nullish(),
});
