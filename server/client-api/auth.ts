import type { Redis } from "ioredis";
import type { Db } from "../db";
import type { Env } from "../env";
import { AppError } from "../errors";
import type { Logger } from "pino";
import { displayPrefix, hashApiKey, hashesEqual, readPresentedKey } from "./keys";
import { RateLimited, takeApiCall } from "./rate-limit";

/** lastUsedAt is a hint for operators ("is this key still in use?"), so one write a minute per key is plenty. */
const LAST_USED_RESOLUTION_MS = 60_000;

// Compared against when no key has the presented prefix, so an unknown key
// costs the same as a wrong one.
const NO_MATCH_HASH = "0".repeat(64);

export type ApiKeyPrincipal = {
  apiKeyId: string;
  clientId: string;
  // Suspension stops a client's traffic, not its view of its own account:
  // a suspended client can still read its balance (often the reason it was
  // suspended). Endpoints that send or spend must refuse SUSPENDED themselves.
  clientStatus: "ACTIVE" | "SUSPENDED";
};

/**
 * Who is calling: the key in `Authorization: Bearer` (or `X-Api-Key`) must be
 * a known, unrevoked key. The row is found by the key's public display prefix
 * and the secret part is checked by comparing SHA-256 digests in constant
 * time, so response times reveal nothing about the secret.
 */
export async function authenticateApiKey(
  deps: { db: Db; log: Logger },
  headers: { get(name: string): string | null },
  now: Date = new Date(),
): Promise<ApiKeyPrincipal> {
  const presented = readPresentedKey(headers);
  if (!presented.ok) {
    throw new AppError(
      "UNAUTHORIZED",
      presented.reason === "missing"
        ? "Missing API key: send it as 'Authorization: Bearer <key>'"
        : "Malformed API key: expected 'Authorization: Bearer vk_…'",
    );
  }
  const row = await deps.db.prisma.apiKey.findUnique({
    where: { prefix: displayPrefix(presented.key) },
    select: {
      id: true,
      keyHash: true,
      revokedAt: true,
      lastUsedAt: true,
      client: { select: { id: true, status: true } },
    },
  });
  const matches = hashesEqual(row?.keyHash ?? NO_MATCH_HASH, hashApiKey(presented.key));
  if (!row || !matches) throw new AppError("UNAUTHORIZED", "Invalid API key");
  if (row.revokedAt) throw new AppError("UNAUTHORIZED", "This API key has been revoked");

  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
    // Conditional, so concurrent requests with one key write it once; a
    // failed stamp must not fail the request it describes.
    await deps.db.prisma.apiKey
      .updateMany({
        where: {
          id: row.id,
          OR: [{ lastUsedAt: null }, { lastUsedAt: { lte: new Date(now.getTime() - LAST_USED_RESOLUTION_MS) } }],
        },
        data: { lastUsedAt: now },
      })
      .catch((err: unknown) => deps.log.warn({ err, apiKeyId: row.id }, "could not record API key use"));
  }
  return { apiKeyId: row.id, clientId: row.client.id, clientStatus: row.client.status };
}

/**
 * What every client API call starts with: the key is authenticated, then takes its call from the key's rate limit
 * (RateLimited: 429). The limit is a guard, not a gate: with Redis away, calls go on rather than fail.
 */
export async function authorizeApiCall(
  deps: { db: Db; log: Logger; redis: Redis; env: Pick<Env, "API_RATE_LIMIT_PER_SECOND"> },
  headers: { get(name: string): string | null },
): Promise<ApiKeyPrincipal> {
  const principal = await authenticateApiKey(deps, headers);
  try {
    await takeApiCall(deps.redis, principal.apiKeyId, deps.env.API_RATE_LIMIT_PER_SECOND);
  } catch (err) {
    if (err instanceof RateLimited) throw err;
    deps.log.warn({ err, apiKeyId: principal.apiKeyId }, "API rate limit not checked (Redis unavailable)");
  }
  return principal;
}
