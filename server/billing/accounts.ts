import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { recordAudit } from "../audit";
import type { Db } from "../db";
import { AppError } from "../errors";
import { availableBalance, moveAvailable } from "./balance-gate";
import { prismaSql, syncLowBalanceAlerts } from "./low-balance";

/**
 * Settled (Postgres) and available (Redis: settled minus reservations in
 * flight). For a postpaid account `available` is the credit headroom: credit
 * limit − unbilled usage − reservations in flight.
 */
export async function getBalance(deps: { db: Db; redis: Redis; namespace: string }, accountId: string) {
  const account = await deps.db.prisma.account.findUnique({
    where: { id: accountId },
    include: { client: { select: { billingType: true, creditLimit: true } } },
  });
  if (!account) throw new AppError("NOT_FOUND", "Account not found");
  const { billingType, creditLimit } = account.client;
  const available = await availableBalance(deps.redis, deps.db.pool, deps.namespace, accountId).catch(() =>
    billingType === "POSTPAID" ? creditLimit - account.unbilledUsage : account.balance,
  );
  return {
    accountId,
    currency: account.currency,
    balance: account.balance,
    available,
    lowBalanceThreshold: account.lowBalanceThreshold,
    isLow: available <= account.lowBalanceThreshold,
    // When the settled balance last fell to the threshold (null: above it, or no threshold).
    lowBalanceAlertedAt: account.lowBalanceAlertedAt,
    billingType,
    creditLimit,
    unbilledUsage: account.unbilledUsage,
  };
}

/**
 * An operator's top-up or correction: a ledger entry with who and why, the
 * balance moved by the same amount in the same transaction, then the gate's
 * available balance moved by it too (if Redis holds the account; otherwise
 * it is loaded from Postgres, already updated, when first needed).
 */
export async function adjustBalance(
  deps: { db: Db; redis: Redis; namespace: string },
  operatorId: string,
  input: { accountId: string; type: "TOPUP" | "ADJUSTMENT"; amount: string; reason: string },
) {
  const amount = BigInt(input.amount);
  if (input.type === "TOPUP" && amount <= 0n)
    throw new AppError("BAD_REQUEST", "A top-up adds money: use a positive amount");
  const account = await deps.db.prisma.$transaction(async (tx) => {
    const updated = await tx.account
      .update({
        where: { id: input.accountId },
        data: { balance: { increment: amount } },
      })
      .catch(() => null);
    if (!updated) throw new AppError("NOT_FOUND", "Account not found");
    await tx.ledgerEntry.create({
      data: {
        accountId: input.accountId,
        type: input.type,
        amount,
        reference: `${input.type.toLowerCase()}:${randomUUID()}`,
        operatorId,
        reason: input.reason,
      },
    });
    // A top-up lifts the account over its threshold (the next fall alerts again); a correction may cross it.
    await syncLowBalanceAlerts(prismaSql(tx), [input.accountId]);
    await recordAudit(tx, {
      operatorId,
      action: `balance.${input.type.toLowerCase()}`,
      target: input.accountId,
      details: { amount: input.amount, reason: input.reason },
    });
    return updated;
  });
  await moveAvailable(deps.redis, deps.namespace, input.accountId, amount);
  return getBalance(deps, account.id);
}

/**
 * Sets the account's low-balance threshold (minor units, 0 = no alerts) and
 * brings its alert mark in line at once: lowered under the balance clears it,
 * raised over the balance alerts now, in the same transaction.
 */
export async function setLowBalanceThreshold(
  deps: { db: Db; redis: Redis; namespace: string },
  operatorId: string,
  input: { accountId: string; threshold: string },
) {
  const threshold = BigInt(input.threshold);
  if (threshold < 0n) throw new AppError("BAD_REQUEST", "The threshold cannot be negative");
  await deps.db.prisma.$transaction(async (tx) => {
    const before = await tx.account.findUnique({ where: { id: input.accountId } });
    if (!before) throw new AppError("NOT_FOUND", "Account not found");
    await tx.account.update({ where: { id: input.accountId }, data: { lowBalanceThreshold: threshold } });
    await syncLowBalanceAlerts(prismaSql(tx), [input.accountId]);
    await recordAudit(tx, {
      operatorId,
      action: "balance.low_threshold",
      target: input.accountId,
      details: { from: before.lowBalanceThreshold.toString(), to: input.threshold },
    });
  });
  return getBalance(deps, input.accountId);
}

export async function listLedger(db: Db, opts: { accountId: string; cursor?: string | null; limit: number }) {
  const items = await db.prisma.ledgerEntry.findMany({
    where: { accountId: opts.accountId },
    orderBy: { id: "desc" },
    take: opts.limit + 1,
    ...(opts.cursor ? { cursor: { id: BigInt(opts.cursor) }, skip: 1 } : {}),
    include: { operator: { select: { name: true } } },
  });
  const hasMore = items.length > opts.limit;
  const page = hasMore ? items.slice(0, opts.limit) : items;
  return { items: page, nextCursor: hasMore ? page[page.length - 1]!.id.toString() : null };
}
