import type { Redis } from "ioredis";
import { recordAudit } from "../audit";
import type { Db } from "../db";
import { AppError } from "../errors";
import { invalidateClientProfile } from "./profile";

export async function listClients(db: Db) {
  return db.prisma.client.findMany({
    orderBy: { name: "asc" },
    include: {
      accounts: { select: { id: true, balance: true, currency: true, unbilledUsage: true } },
      senderIds: { where: { status: "APPROVED" }, select: { value: true }, orderBy: { value: "asc" } },
      ratePlan: { select: { name: true, defaultPricePerSegment: true, currency: true } },
    },
  });
}

/** One client with what its detail page shows; every sender ID, whatever its status. */
export async function getClient(db: Db, id: string) {
  const client = await db.prisma.client.findUnique({
    where: { id },
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
};

/** Applies an operator's edit and drops the validator's cached profile. */
export async function updateClient(
  deps: { db: Db; redis: Redis },
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
  const client = await deps.db.prisma.$transaction(async (tx) => {
    const exists = await tx.client.findUnique({ where: { id }, select: { id: true } });
    if (!exists) throw new AppError("NOT_FOUND", "Client not found");
    const updated = await tx.client.update({ where: { id }, data });
    await recordAudit(tx, { operatorId, action: "client.update", target: id, details: changes });
    return updated;
  });
  await invalidateClientProfile(deps.redis, id);
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
