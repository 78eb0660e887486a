import { z } from "zod";

/** Integer minor units as a string of digits (amounts never travel as floats). */
const minorAmount = z.string().regex(/^-?\d{1,18}$/, "Whole minor units, e.g. 1050 for 10.50");

export const accountIdInput = z.object({ accountId: z.string().min(1) });

export const adjustBalanceInput = z.object({
  accountId: z.string().min(1),
  // TOPUP adds money; ADJUSTMENT corrects it either way.
  type: z.enum(["TOPUP", "ADJUSTMENT"]),
  amount: minorAmount.refine((s) => s !== "0" && s !== "-0", "The amount cannot be zero"),
  reason: z.string().trim().min(3, "Say why (at least 3 characters)").max(500),
});

export const ledgerInput = z.object({
  accountId: z.string().min(1),
  cursor: z.string().nullish(),
  limit: z.number().int().min(1).max(200).default(50),
});

export const lowBalanceThresholdInput = z.object({
  accountId: z.string().min(1),
  // Minor units; 0 turns the alert off.
  threshold: z.string().regex(/^\d{1,18}$/, "Whole minor units, 0 or more (0 = no alert)"),
});

export const billingEventsInput = z.object({
  accountId: z.string().min(1),
  cursor: z.string().regex(/^\d+$/).nullish(),
  limit: z.number().int().min(1).max(100).default(20),
});
