import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

// Client API keys: `vk_` + 32 random bytes in base64url (43 characters).
// Only the SHA-256 of a key and its first characters (shown in the console
// so operators can tell keys apart) are stored; the key itself is shown once,
// when it is created. A fast hash is enough here: the key carries 256 random
// bits, so there is nothing for a slow hash to protect against guessing.

export const API_KEY_PREFIX = "vk_";
/** Characters of a key kept in clear as its display prefix ("vk_" + 9 random characters). */
export const DISPLAY_PREFIX_LENGTH = 12;
const KEY_PATTERN = /^vk_[A-Za-z0-9_-]{43}$/;

export function generateApiKey(): { key: string; prefix: string; hash: string } {
  const key = API_KEY_PREFIX + randomBytes(32).toString("base64url");
  return { key, prefix: displayPrefix(key), hash: hashApiKey(key) };
}

export function isWellFormedApiKey(key: string): boolean {
  return KEY_PATTERN.test(key);
}

/** Lower-case hex SHA-256 of the whole key: what the database holds. */
export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

export function displayPrefix(key: string): string {
  return key.slice(0, DISPLAY_PREFIX_LENGTH);
}

/** Compares two hex SHA-256 digests in constant time. */
export function hashesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, "hex");
  const right = Buffer.from(b, "hex");
  return left.length === 32 && right.length === 32 && timingSafeEqual(left, right);
}

export type PresentedKey = { ok: true; key: string } | { ok: false; reason: "missing" | "malformed" };

/**
 * The key a request presents: `Authorization: Bearer <key>` or, for tools
 * that cannot set Authorization, `X-Api-Key: <key>`. Authorization wins when
 * both are sent, so a proxy adding one cannot override the other silently.
 */
export function readPresentedKey(headers: { get(name: string): string | null }): PresentedKey {
  const authorization = headers.get("authorization")?.trim();
  if (authorization) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match) return { ok: false, reason: "malformed" };
    return isWellFormedApiKey(match[1]!) ? { ok: true, key: match[1]! } : { ok: false, reason: "malformed" };
  }
  const headerKey = headers.get("x-api-key")?.trim();
  if (!headerKey) return { ok: false, reason: "missing" };
  return isWellFormedApiKey(headerKey) ? { ok: true, key: headerKey } : { ok: false, reason: "malformed" };
}
