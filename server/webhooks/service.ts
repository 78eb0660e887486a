import { recordAudit } from "../audit";
import type { Db } from "../db";
import { AppError } from "../errors";
import { generateWebhookSecret } from "./signature";

/** What the console shows of a client's webhook: the URL, the secret (operators only), and how calls are going. */
export async function getWebhookSettings(db: Db, clientId: string, withSecret: boolean) {
  const client = await db.prisma.client.findUnique({
    where: { id: clientId },
    select: { webhookUrl: true, webhookSecret: true },
  });
  if (!client) throw new AppError("NOT_FOUND", "Client not found");
  const { rows } = await db.pool.query<{ state: string; count: number }>(
    `SELECT state, count(*)::int AS count FROM webhook_deliveries
     WHERE client_id = $1 AND (state = 'PENDING' OR created_at > now() - interval '1 day') GROUP BY state`,
    [clientId],
  );
  const counts = Object.fromEntries(rows.map((r) => [r.state, r.count]));
  const failures = await db.prisma.webhookDelivery.findMany({
    where: { clientId, OR: [{ state: "FAILED" }, { state: "PENDING", attempts: { gt: 0 } }] },
    orderBy: { createdAt: "desc" },
    take: 5,
    select: { messageId: true, state: true, attempts: true, lastError: true, nextAttemptAt: true },
  });
  return {
    url: client.webhookUrl,
    secret: withSecret ? client.webhookSecret : null,
    hasSecret: client.webhookSecret !== null,
    /** Pending now; delivered and failed in the last 24 hours. */
    counts: { pending: counts.PENDING ?? 0, delivered: counts.DELIVERED ?? 0, failed: counts.FAILED ?? 0 },
    recentFailures: failures,
  };
}

/** Sets or removes the URL; the first URL comes with a secret, which later URLs keep. */
export async function setWebhookUrl(db: Db, operatorId: string, clientId: string, url: string | null) {
  return db.prisma.$transaction(async (tx) => {
    const client = await tx.client.findUnique({ where: { id: clientId }, select: { webhookSecret: true } });
    if (!client) throw new AppError("NOT_FOUND", "Client not found");
    const secret = url && !client.webhookSecret ? generateWebhookSecret() : undefined;
    await tx.client.update({
      where: { id: clientId },
      data: { webhookUrl: url, ...(secret ? { webhookSecret: secret } : {}) },
    });
    await recordAudit(tx, { operatorId, action: "webhook.set-url", target: clientId, details: { url } });
    return { url };
  });
}

/** A new secret, in force for the next call: the receiver must be given it first (it may accept both meanwhile). */
export async function rotateWebhookSecret(db: Db, operatorId: string, clientId: string) {
  return db.prisma.$transaction(async (tx) => {
    const secret = generateWebhookSecret();
    const { count } = await tx.client.updateMany({ where: { id: clientId }, data: { webhookSecret: secret } });
    if (count === 0) throw new AppError("NOT_FOUND", "Client not found");
    await recordAudit(tx, { operatorId, action: "webhook.rotate-secret", target: clientId });
    return { secret };
  });
}

/** After the client fixed its endpoint: the calls that were given up are tried again from the start. */
export async function retryFailedWebhooks(db: Db, operatorId: string, clientId: string) {
  return db.prisma.$transaction(async (tx) => {
    const { count } = await tx.webhookDelivery.updateMany({
      where: { clientId, state: "FAILED" },
      data: { state: "PENDING", attempts: 0, nextAttemptAt: new Date() },
    });
    await recordAudit(tx, { operatorId, action: "webhook.retry-failed", target: clientId, details: { count } });
    return { retried: count };
  });
}
