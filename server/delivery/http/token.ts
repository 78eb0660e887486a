import { createHash, timingSafeEqual } from "node:crypto";

export const WEBHOOK_TOKEN_HEADER = "x-volley-webhook-token";

/** The token a webhook request presents: the header wins over `?token=` (query strings end up in access logs). */
export function readPresentedToken(request: Request): string | null {
  const header = request.headers.get(WEBHOOK_TOKEN_HEADER)?.trim();
  if (header) return header;
  return new URL(request.url).searchParams.get("token") || null;
}

/** Compares SHA-256 digests in constant time, so neither the length nor a prefix of the secret leaks through timing. */
export function tokensEqual(presented: string, expected: string): boolean {
  const a = createHash("sha256").update(presented, "utf8").digest();
  const b = createHash("sha256").update(expected, "utf8").digest();
  return timingSafeEqual(a, b);
}
