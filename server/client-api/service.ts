import { recordAudit } from "../audit";
import type { Db } from "../db";
import { AppError } from "../errors";
import { generateApiKey } from "./keys";

/** What the console may see of a key: never its hash, and the key itself only once, from createApiKey. */
const publicFields = {
  id: true,
  clientId: true,
  name: true,
  prefix: true,
  createdAt: true,
  lastUsedAt: true,
  revokedAt: true,
} as const;

export async function listApiKeys(db: Db, clientId: string) {
  return db.prisma.apiKey.findMany({
    where: { clientId },
    orderBy: [{ revokedAt: { sort: "desc", nulls: "first" } }, { createdAt: "desc" }],
    select: publicFields,
  });
}

/**
 * Issues a key for a client. The plaintext is returned here and nowhere
 * else: only its hash is stored, so a lost key is revoked and replaced.
 */
export async function createApiKey(db: Db, operatorId: string, input: { clientId: string; name: string }) {
  const generated = generateApiKey();
  // A display-prefix collision (54 random bits) fails the unique index and
  // the request; at that rarity a retry by the operator is the right cost.
  const apiKey = await db.prisma.$transaction(async (tx) => {
    const client = await tx.client.findUnique({ where: { id: input.clientId }, select: { id: true } });
    if (!client) throw new AppError("NOT_FOUND", "Client not found");
    const created = await tx.apiKey.create({
      data: {
        clientId: input.clientId,
        name: input.name,
        prefix: generated.prefix,
        keyHash: generated.hash,
        createdById: operatorId,
      },
      select: publicFields,
    });
    await recordAudit(tx, {
      operatorId,
      action: "api-key.create",
      target: input.clientId,
      details: { apiKeyId: created.id, name: created.name, prefix: created.prefix },
    });
    return created;
  });
  return { apiKey, key: generated.key };
}

/** Takes effect on the next request (keys are checked against Postgres on every call). Revoking twice is a no-op. */
export async function revokeApiKey(db: Db, operatorId: string, id: string) {
  return db.prisma.$transaction(async (tx) => {
    const { count } = await tx.apiKey.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
    const apiKey = await tx.apiKey.findUnique({ where: { id }, select: publicFields });
    if (!apiKey) throw new AppError("NOT_FOUND", "API key not found");
    if (count === 1) {
      await recordAudit(tx, {
        operatorId,
        action: "api-key.revoke",
        target: apiKey.clientId,
        details: { apiKeyId: apiKey.id, name: apiKey.name, prefix: apiKey.prefix },
      });
    }
    return apiKey;
  });
}
