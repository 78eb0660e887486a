import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { recordAudit } from "../audit";
import type { Db } from "../db";
import { AppError } from "../errors";
import { availableBalance, availableKey, readyKey } from "./balance-gate";

/** Settled (Postgres) and available (Redis: settled minus reservations in flight). */
export async function getBalance(deps: { db: Db; redis: Redis; namespace: string }, accountId: string) {
  const account = await deps.db.prisma.account.findUnique({ where: { id: accountId } });
  if (!account) throw new AppError("NOT_FOUND", "Account not found");
  const available = await availableBalance(deps.redis, deps.db.pool, deps.namespace, accountId).catch(
    () => account.balance,
  );
  return {
    accountId,
    currency: account.currency,
    balance: account.balance,
    available,
    lowBalanceThreshold: account.lowBalanceThreshold,
    isLow: available <= account.lowBalanceThreshold,
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
    await recordAudit(tx, {
      operatorId,
      action: `balance.${input.type.toLowerCase()}`,
      target: input.accountId,
      details: { amount: input.amount, reason: input.reason },
    });
    return updated;
  });
  // Only where the key exists and no rebuild is under way: a missing key is
  // loaded from Postgres (which has the new balance) when first needed, and a
  // rebuild reads Postgres itself.
  await deps.redis.eval(
    "if redis.call('EXISTS', KEYS[1]) == 1 and redis.call('EXISTS', KEYS[2]) == 1 then return redis.call('INCRBY', KEYS[1], ARGV[1]) end return nil",
    2,
    availableKey(input.accountId),
    readyKey(deps.namespace),
    amount.toString(),
  );
  return getBalance(deps, account.id);
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
