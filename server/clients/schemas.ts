import { z } from "zod";

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "Use HH:MM (24-hour)");

export const getClientInput = z.object({ id: z.string().min(1) });

export const updateClientInput = z
  .object({
    id: z.string().min(1),
    status: z.enum(["ACTIVE", "SUSPENDED"]).optional(),
    defaultCountry: z
      .string()
      .regex(/^[A-Z]{2}$/, "Two-letter country code")
      .optional(),
    timezone: z
      .string()
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat("en", { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, "Unknown timezone")
      .optional(),
    smartEncoding: z.boolean().optional(),
    maxSegments: z.number().int().min(1).max(255).optional(),
    quietHours: z.object({ start: hhmm, end: hhmm }).nullable().optional(),
    // Postpaid: the most unbilled usage may reach, in whole minor units (a string: money never travels as a float).
    creditLimit: z
      .string()
      .regex(/^\d{1,18}$/, "Whole minor units, e.g. 50000 for 500.00")
      .transform((s) => BigInt(s))
      .optional(),
  })
  .refine((v) => !v.quietHours || v.quietHours.start !== v.quietHours.end, {
    message: "Quiet hours must start and end at different times",
    path: ["quietHours"],
  });

export const senderIdInput = z.object({
  clientId: z.string().min(1),
  value: z
    .string()
    .trim()
    .refine(
      (s) => /^\+?\d{1,15}$/.test(s) || /^[A-Za-z0-9 .&-]{1,11}$/.test(s),
      "Up to 11 letters/digits, or a number",
    ),
});
