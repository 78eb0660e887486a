import { z } from "zod";

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
