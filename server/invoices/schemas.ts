import { z } from "zod";

/** A calendar month in UTC, e.g. "2026-10" (see period.ts). */
export const monthInput = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, "A month as YYYY-MM, e.g. 2026-10");

export const listInvoicesInput = z.object({
  clientId: z.string().min(1).nullish(),
  cursor: z.string().nullish(),
  limit: z.number().int().min(1).max(100).default(25),
});

export const invoiceIdInput = z.object({ id: z.string().min(1) });

export const generateInvoicesInput = z.object({ month: monthInput });
