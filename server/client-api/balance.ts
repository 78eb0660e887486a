import { z } from "zod";
import type { ApiDeps } from "../api/deps";
import { getBalance } from "../billing/accounts";
import { formatMoney } from "../billing/money";
import { AppError } from "../errors";
import { authorizeApiCall } from "./auth";
import { errorResponse, jsonError, jsonOk } from "./http";
import { balanceQuery, type BalanceResponse } from "./schemas";

type Deps = Pick<ApiDeps, "db" | "redis" | "env" | "log">;

type AccountFigures = {
  clientId: string;
  accountId: string;
  billingType: "PREPAID" | "POSTPAID";
  clientStatus: "ACTIVE" | "SUSPENDED";
  currency: string;
  balance: bigint;
  available: bigint;
  lowBalanceThreshold: bigint;
  creditLimit: bigint;
  unbilledUsage: bigint;
};

/**
 * The wire shape: minor units as strings, plus the console's formatting.
 * `available` is the gate's figure for both kinds of account: what a prepaid
 * account can spend now, or a postpaid account's headroom under its credit
 * limit (both net of reservations in flight).
 */
export function toBalanceResponse(f: AccountFigures): BalanceResponse {
  const isPostpaid = f.billingType === "POSTPAID";
  const money = {
    balance: f.balance,
    available: f.available,
    lowBalanceThreshold: f.lowBalanceThreshold,
    ...(isPostpaid ? { creditLimit: f.creditLimit, unbilledUsage: f.unbilledUsage } : {}),
  };
  return {
    clientId: f.clientId,
    accountId: f.accountId,
    billingType: f.billingType,
    clientStatus: f.clientStatus,
    currency: f.currency,
    balance: f.balance.toString(),
    available: f.available.toString(),
    lowBalanceThreshold: f.lowBalanceThreshold.toString(),
    isLow: f.available <= f.lowBalanceThreshold,
    ...(isPostpaid ? { creditLimit: f.creditLimit.toString(), unbilledUsage: f.unbilledUsage.toString() } : {}),
    formatted: Object.fromEntries(Object.entries(money).map(([k, v]) => [k, formatMoney(v, f.currency)])),
  };
}

/** The caller's balance: its client's first account, or the one named by `?accountId=` if it is the client's. */
export async function readClientBalance(deps: Deps, clientId: string, accountId?: string): Promise<BalanceResponse> {
  const account = await deps.db.prisma.account.findFirst({
    where: { clientId, ...(accountId ? { id: accountId } : {}) },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    select: { id: true, client: { select: { id: true, status: true } } },
  });
  // Another client's account id gets the same answer as a made-up one.
  if (!account) throw new AppError("NOT_FOUND", "Account not found");
  // The console's figures: available from the gate in Redis, or Postgres while Redis is rebuilding.
  const b = await getBalance({ ...deps, namespace: deps.env.KAFKA_TOPIC_PREFIX }, account.id);
  return toBalanceResponse({
    clientId: account.client.id,
    accountId: account.id,
    billingType: b.billingType,
    clientStatus: account.client.status,
    currency: b.currency,
    balance: b.balance,
    available: b.available,
    lowBalanceThreshold: b.lowBalanceThreshold,
    creditLimit: b.creditLimit,
    unbilledUsage: b.unbilledUsage,
  });
}

/** GET /api/v1/balance, as a plain function of the request (the route handler only supplies deps). */
export async function handleBalanceRequest(deps: Deps, request: Request): Promise<Response> {
  try {
    const principal = await authorizeApiCall(deps, request.headers);
    const query = balanceQuery.safeParse(Object.fromEntries(new URL(request.url).searchParams));
    if (!query.success) {
      return jsonError("BAD_REQUEST", "Invalid query parameters", 400, z.flattenError(query.error).fieldErrors);
    }
    return jsonOk(await readClientBalance(deps, principal.clientId, query.data.accountId));
  } catch (err) {
    return errorResponse(err, deps.log, "balance request");
  }
}
