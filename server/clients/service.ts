import type { Redis } from "ioredis";
import { recordAudit } from "../audit";
import { moveAvailable } from "../billing/balance-gate";
import type { Db } from "../db";
import { AppError } from "../errors";
import { invalidateClientProfile } from "./profile";

// The webhook secret is read by the webhooks worker and shown only by the webhooks panel (to operators), never with
// the rest of a client.
const WEBHOOK_SECRET = { webhookSecret: true } as const;

export async function listClients(db: Db) {
  return db.prisma.client.findMany({
    orderBy: { name: "asc" },
    omit: WEBHOOK_SECRET,
    include: {
      accounts: {
        // lowBalanceAlertedAt: the list's low-balance badge (set while the settled balance is at or below the threshold).
        select: { id: true, balance: true, currency: true, unbilledUsage: true, lowBalanceAlertedAt: true },
      },
      senderIds: { where: { status: "APPROVED" }, select: { value: true }, orderBy: { value: "asc" } },
      ratePlan: { select: { name: true, defaultPricePerSegment: true, currency: true } },
    },
  });
}

/** One client with what its detail page shows; every sender ID, whatever its status. */
export async function getClient(db: Db, id: string) {
  const client = await db.prisma.client.findUnique({
    where: { id },
    omit: WEBHOOK_SECRET,
    include: {
      accounts: { select: { id: true, balance: true, currency: true, unbilledUsage: true } },
      senderIds: { select: { value: true, status: true }, orderBy: { value: "asc" } },
      ratePlan: { select: { name: true, defaultPricePerSegment: true, currency: true } },
    },
  });
  if (!client) throw new AppError("NOT_FOUND", "Client not found");
  return client;
}

type ClientChanges = {
  status?: "ACTIVE" | "SUSPENDED";
  defaultCountry?: string;
  timezone?: string;
  smartEncoding?: boolean;
  maxSegments?: number;
  quietHours?: { start: string; end: string } | null;
  creditLimit?: bigint;
};

/**
 * Applies an operator's edit and drops the validator's cached profile. A
 * postpaid client's new credit limit moves its accounts' headroom in the
 * gate by the difference, after the commit (see moveAvailable).
 */
export async function updateClient(
  deps: { db: Db; redis: Redis; namespace: string },
  operatorId: string,
  id: string,
  changes: ClientChanges,
) {
  const { quietHours, ...rest } = changes;
  const data = {
    ...rest,
    ...(quietHours !== undefined
      ? { quietHoursStart: quietHours?.start ?? null, quietHoursEnd: quietHours?.end ?? null }
      : {}),
  };
  const { client, before, accounts } = await deps.db.prisma.$transaction(async (tx) => {
    // FOR UPDATE: two operators changing the limit at once each move the gate by their own difference.
    const [before] = await tx.$queryRaw<{ credit_limit: string; billing_type: string }[]>`
      SELECT credit_limit::text AS credit_limit, billing_type::text AS billing_type FROM clients WHERE id = ${id} FOR UPDATE`;
    if (!before) throw new AppError("NOT_FOUND", "Client not found");
    const updated = await tx.client.update({ where: { id }, data, omit: WEBHOOK_SECRET });
    const accounts = await tx.account.findMany({ where: { clientId: id }, select: { id: true } });
    await recordAudit(tx, {
      operatorId,
      action: "client.update",
      target: id,
      details: { ...changes, creditLimit: changes.creditLimit?.toString() },
    });
    return { client: updated, before, accounts };
  });
  await invalidateClientProfile(deps.redis, id);
  const headroomMoved = before.billing_type === "POSTPAID" ? client.creditLimit - BigInt(before.credit_limit) : 0n;
  for (const account of accounts) await moveAvailable(deps.redis, deps.namespace, account.id, headroomMoved);
  return client;
}

export async function addSenderId(deps: { db: Db; redis: Redis }, operatorId: string, clientId: string, value: string) {
  await deps.db.prisma.$transaction(async (tx) => {
    await tx.senderId.upsert({
      where: { clientId_value: { clientId, value } },
      update: { status: "APPROVED" },
      create: { clientId, value, status: "APPROVED" },
    });
    await recordAudit(tx, { operatorId, action: "sender-id.add", target: clientId, details: { value } });
  });
  await invalidateClientProfile(deps.redis, clientId);
}

export async function removeSenderId(
  deps: { db: Db; redis: Redis },
  operatorId: string,
  clientId: string,
  value: string,
) {
  await deps.db.prisma.$transaction(async (tx) => {
    await tx.senderId.deleteMany({ where: { clientId, value } });
    await recordAudit(tx, { operatorId, action: "sender-id.remove", target: clientId, details: { value } });
  });
  await invalidateClientProfile(deps.redis, clientId);
}
