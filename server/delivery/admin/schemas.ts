import { z } from "zod";

// Inputs of the providers console (server/delivery/admin/router.ts). A
// provider's kind-specific settings arrive as a plain object and are checked
// by the service against the kind's schema only after the secrets the form
// left empty have been filled in from the stored row (see service.ts).

export const PROVIDER_KINDS = ["SMPP", "HTTP"] as const;
export const MESSAGE_CATEGORIES = ["MARKETING", "AUTHENTICATION", "AGENT_FLOW"] as const;

/** Settings keys never sent back to the browser; an empty value on update keeps the stored one. */
export const SECRET_SETTING_KEYS = ["password", "authValue", "receiptToken"] as const;
/** What a stored, non-empty secret reads as in lists (sending it back also keeps the stored value). */
export const SECRET_MASK = "********";

export const providerIdInput = z.object({ id: z.string().min(1) });

const providerFields = {
  name: z.string().trim().min(1, "Name is required").max(100, "Name: at most 100 characters"),
  kind: z.enum(PROVIDER_KINDS),
  // Messages (segments for SMPP) per second for the whole provider; 0 = no cap.
  maxTps: z.number().int("Max TPS: a whole number").min(0, "Max TPS: 0 (no cap) or more").max(100_000),
  enabled: z.boolean().default(true),
  settings: z.record(z.string(), z.unknown()),
};

export const createProviderInput = z.object(providerFields);
export type CreateProviderInput = z.infer<typeof createProviderInput>;

export const updateProviderInput = z.object({ id: z.string().min(1), ...providerFields });
export type UpdateProviderInput = z.infer<typeof updateProviderInput>;

export const setProviderEnabledInput = z.object({ id: z.string().min(1), enabled: z.boolean() });

/** "" (any destination) or an E.164 prefix; "44" and "+44" both mean +44, as rate plan prefixes do. */
export const routingPrefix = z
  .string()
  .trim()
  .transform((s) => s.replace(/[\s-]/g, ""))
  .refine((s) => s === "" || /^\+?\d{1,15}$/.test(s), "Prefix: digits of an international number, e.g. +447")
  .transform((s) => (s === "" || s.startsWith("+") ? s : `+${s}`));

const ruleFields = {
  clientId: z.string().min(1).nullable(),
  prefix: routingPrefix.default(""),
  category: z.enum(MESSAGE_CATEGORIES).nullable(),
  providerIds: z
    .array(z.string().min(1))
    .min(1, "Choose at least one provider")
    .max(20)
    .refine((ids) => new Set(ids).size === ids.length, "A provider appears only once in a rule"),
  enabled: z.boolean().default(true),
};

/** Without a position the rule goes last. */
export const createRuleInput = z.object({ ...ruleFields, position: z.number().int().min(0).optional() });
export type CreateRuleInput = z.infer<typeof createRuleInput>;

export const updateRuleInput = z.object({ id: z.string().min(1), ...ruleFields, position: z.number().int().min(0) });
export type UpdateRuleInput = z.infer<typeof updateRuleInput>;

export const ruleIdInput = z.object({ id: z.string().min(1) });

/** The given rules get positions 0, 1, 2… in this order (the console sends the whole list). */
export const reorderRulesInput = z.object({
  ids: z
    .array(z.string().min(1))
    .min(1)
    .max(1000)
    .refine((ids) => new Set(ids).size === ids.length, "Each rule once"),
});
