import { z } from "zod";
import { httpProviderSettingsSchema } from "../http/schemas";

// Provider.settings per kind. Only the fields an operator edits live here;
// the SMPP client's tuning knobs keep their defaults (server/delivery/smpp/client.ts)
// unless a provider row sets them.

/** Carriers grant a handful of binds per account; more than this is a typo. */
export const MAX_BINDS = 32;

export const smppProviderSettingsSchema = z.object({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  systemId: z.string().min(1).max(15),
  password: z.string().max(64),
  systemType: z.string().max(12).default(""),
  /** Sessions bound at once (carriers grant a number per account); the window is per session, maxTps for them all. */
  binds: z.number().int().min(1).max(MAX_BINDS).default(1),
  windowSize: z.number().int().min(1).max(1000).default(50),
  enquireLinkIntervalMs: z.number().int().min(100).default(30_000),
  useMessagePayload: z.boolean().default(false),
  // Optional tuning (tests shorten them; carriers rarely need it).
  responseTimeoutMs: z.number().int().min(100).optional(),
  reconnectMaxMs: z.number().int().min(10).optional(),
  queueTimeoutMs: z.number().int().min(100).optional(),
});
export type SmppProviderSettings = z.infer<typeof smppProviderSettingsSchema>;

// The HTTP adapter's own schema (server/delivery/http/schemas.ts), re-exported so callers find both kinds here.
export { httpProviderSettingsSchema };

/** Validates a provider's settings for its kind; the console and the pool both use it. */
export function parseProviderSettings(kind: "SMPP" | "HTTP", settings: unknown) {
  return kind === "SMPP"
    ? smppProviderSettingsSchema.safeParse(settings)
    : httpProviderSettingsSchema.safeParse(settings);
}

export const providerKind = z.enum(["SMPP", "HTTP"]);

/** A providers row as the pool reads it. */
export type ProviderRow = {
  id: string;
  name: string;
  kind: z.infer<typeof providerKind>;
  enabled: boolean;
  maxTps: number;
  settings: unknown;
  updatedAt: Date;
};
