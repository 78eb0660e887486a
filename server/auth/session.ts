import { createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";

// Stateless signed session cookie: base64url(JSON payload) + "." + HMAC.
// Operators are few and sessions short, so revocation waits for expiry.

export const SESSION_COOKIE = "volley_session";
const SESSION_TTL_SECONDS = 12 * 60 * 60;

export const sessionSchema = z.object({
  operatorId: z.string(),
  email: z.string(),
  name: z.string(),
  role: z.enum(["ADMIN", "OPERATOR", "VIEWER"]),
  exp: z.number().int(),
});
export type Session = z.infer<typeof sessionSchema>;

function sign(payload: string, secret: string): string {
  return createHmac("sha256", secret).update(payload).digest("base64url");
}

export function createSessionToken(
  operator: Omit<Session, "exp">,
  secret: string,
  now = Date.now(),
): { token: string; maxAge: number } {
  const payload = Buffer.from(
    JSON.stringify({ ...operator, exp: Math.floor(now / 1000) + SESSION_TTL_SECONDS }),
  ).toString("base64url");
  return { token: `${payload}.${sign(payload, secret)}`, maxAge: SESSION_TTL_SECONDS };
}

export function verifySessionToken(token: string | undefined, secret: string, now = Date.now()): Session | null {
  if (!token) return null;
  const [payload, signature] = token.split(".");
  if (!payload || !signature) return null;
  const expected = Buffer.from(sign(payload, secret));
  const actual = Buffer.from(signature);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return null;
  try {
    const session = sessionSchema.parse(JSON.parse(Buffer.from(payload, "base64url").toString("utf8")));
    return session.exp * 1000 > now ? session : null;
  } catch {
    return null;
  }
}

export function readCookie(header: string | null | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return decodeURIComponent(v.join("="));
  }
  return undefined;
}

export function sessionCookie(token: string, maxAge: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secure ? "; Secure" : ""}`;
}

export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`;
}
