import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

// Webhook signatures, in the scheme receivers know from Stripe: `Volley-Signature: t=<unix seconds>,v1=<hex>`, where
// v1 is the HMAC-SHA256, keyed by the client's webhook secret, of `<t>.<raw body>`. The timestamp inside the signed
// text lets a receiver refuse old deliveries replayed at it; several v1 entries may appear (during a secret rotation
// a receiver accepts either).

export const SIGNATURE_HEADER = "volley-signature";
export const DELIVERY_HEADER = "volley-delivery";
/** How far a signature's time may be from the receiver's clock. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

export function generateWebhookSecret(): string {
  return "whsec_" + randomBytes(24).toString("base64url");
}

function digest(secret: string, timestamp: number, body: string): string {
  return createHmac("sha256", secret).update(`${timestamp}.${body}`, "utf8").digest("hex");
}

export function signWebhook(secret: string, body: string, now: Date = new Date()): string {
  const t = Math.floor(now.getTime() / 1000);
  return `t=${t},v1=${digest(secret, t, body)}`;
}

/**
 * What a receiver runs on each call (and the tests do): whether `header` signs exactly `body` with `secret`, within
 * the tolerance of `now`. The body must be the raw bytes received, before any JSON parsing.
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | null,
  body: string,
  now: Date = new Date(),
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): boolean {
  if (!header) return false;
  const parts = header.split(",").map((p) => p.trim().split("="));
  const t = Number(parts.find(([k]) => k === "t")?.[1]);
  if (!Number.isInteger(t) || Math.abs(now.getTime() / 1000 - t) > toleranceSeconds) return false;
  const expected = Buffer.from(digest(secret, t, body), "hex");
  return parts
    .filter(([k, v]) => k === "v1" && v !== undefined && /^[0-9a-f]{64}$/.test(v))
    .some(([, v]) => timingSafeEqual(Buffer.from(v!, "hex"), expected));
}
