import { Prisma, type Provider } from "@prisma/client";
import type { Redis } from "ioredis";
import { z } from "zod";
import { recordAudit } from "../../audit";
import type { Db } from "../../db";
import { AppError } from "../../errors";
import type { CreateProviderInput, CreateRuleInput, UpdateProviderInput, UpdateRuleInput } from "./schemas";
import { changedSecrets, checkSettings, maskSettings, mergeSecrets } from "./settings";
import { providerStatusKey } from "../keys";

type Deps = { db: Db; redis: Redis; namespace: string };

// ---------------------------------------------------------------- live status

const count = z.coerce.number().int().nonnegative().catch(0);
const liveStatusSchema = z.object({
  state: z.string().min(1).catch("unknown"),
  // Published before binds existed: one session.
  binds: z.coerce.number().int().positive().catch(1),
  bindsBound: count,
  windowInUse: count,
  windowSize: count,
  maxTps: z.coerce.number().nonnegative().catch(0),
  queued: count,
  submittedTotal: count,
  errorsTotal: count,
  measuredTps: z.coerce.number().nonnegative().catch(0),
  worker: z.string().catch(""),
  updatedAt: z.coerce.date().nullable().catch(null),
});
export type ProviderLiveStatus = z.infer<typeof liveStatusSchema>;

async function readLiveStatuses(deps: Deps, ids: string[]): Promise<Map<string, ProviderLiveStatus | null>> {
  const result = new Map<string, ProviderLiveStatus | null>();
  if (ids.length === 0) return result;
  const pipeline = deps.redis.pipeline();
  for (const id of ids) pipeline.hgetall(providerStatusKey(deps.namespace, id));
  const replies = (await pipeline.exec()) ?? [];
  ids.forEach((id, i) => {
    const [err, hash] = replies[i] ?? [null, null];
    const fields = !err && hash && typeof hash === "object" ? (hash as Record<string, string>) : {};
    result.set(id, Object.keys(fields).length === 0 ? null : liveStatusSchema.parse(fields));
  });
  return result;
}

// ------------------------------------------------------------------ providers

function toView(p: Provider, live: ProviderLiveStatus | null) {
  return {
    id: p.id,
    name: p.name,
    kind: p.kind,
    enabled: p.enabled,
    maxTps: p.maxTps,
    settings: maskSettings(p.settings),
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
    live,
  };
}
export type ProviderView = ReturnType<typeof toView>;

/** Every provider with what its worker last reported; secrets masked. */
export async function listProviders(deps: Deps): Promise<ProviderView[]> {
  const providers = await deps.db.prisma.provider.findMany({ orderBy: { name: "asc" } });
  const live = await readLiveStatuses(
    deps,
    providers.map((p) => p.id),
  );
  return providers.map((p) => toView(p, live.get(p.id) ?? null));
}

export async function getProvider(deps: Deps, id: string): Promise<ProviderView> {
  const provider = await deps.db.prisma.provider.findUnique({ where: { id } });
  if (!provider) throw new AppError("NOT_FOUND", "Provider not found");
  const live = await readLiveStatuses(deps, [id]);
  return toView(provider, live.get(id) ?? null);
}

function validSettings(kind: "SMPP" | "HTTP", settings: Record<string, unknown>): Prisma.InputJsonObject {
  const checked = checkSettings(kind, settings);
  if (!checked.ok) throw new AppError("BAD_REQUEST", checked.message);
  return checked.settings as Prisma.InputJsonObject;
}

function nameTaken(err: unknown, name: string): never {
  if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2002")
    throw new AppError("CONFLICT", `A provider named "${name}" already exists`);
  throw err;
}

/** Audit details: what was set, never a secret (only which ones changed). */
function auditDetails(input: CreateProviderInput, settings: Prisma.InputJsonObject, secretsChanged: string[]) {
  return {
    name: input.name,
    kind: input.kind,
    maxTps: input.maxTps,
    enabled: input.enabled,
    settings: maskSettings(settings) as Prisma.InputJsonObject,
    secretsChanged,
  };
}

export async function createProvider(deps: Deps, operatorId: string, input: CreateProviderInput) {
  const settings = validSettings(input.kind, mergeSecrets(input.settings, {}));
  const provider = await deps.db.prisma
    .$transaction(async (tx) => {
      const created = await tx.provider.create({
        data: { name: input.name, kind: input.kind, maxTps: input.maxTps, enabled: input.enabled, settings },
      });
      await recordAudit(tx, {
        operatorId,
        action: "provider.create",
        target: created.id,
        details: auditDetails(input, settings, changedSecrets(settings, {})),
      });
      return created;
    })
    .catch((err: unknown) => nameTaken(err, input.name));
  return toView(provider, null);
}

/** Replaces the provider's settings with the form's; secrets it leaves empty keep their stored value. */
export async function updateProvider(deps: Deps, operatorId: string, input: UpdateProviderInput) {
  const provider = await deps.db.prisma
    .$transaction(async (tx) => {
      // FOR UPDATE: two admins saving at once must not each merge secrets from a row the other replaces.
      const [locked] = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM providers WHERE id = ${input.id} FOR UPDATE`;
      if (!locked) throw new AppError("NOT_FOUND", "Provider not found");
      const before = await tx.provider.findUniqueOrThrow({ where: { id: input.id } });
      const stored = before.kind === input.kind ? before.settings : {};
      const settings = validSettings(input.kind, mergeSecrets(input.settings, stored));
      const updated = await tx.provider.update({
        where: { id: input.id },
        data: { name: input.name, kind: input.kind, maxTps: input.maxTps, enabled: input.enabled, settings },
      });
      await recordAudit(tx, {
        operatorId,
        action: "provider.update",
        target: input.id,
        details: auditDetails(input, settings, changedSecrets(settings, stored)),
      });
      return updated;
    })
    .catch((err: unknown) => nameTaken(err, input.name));
  return getProvider(deps, provider.id);
}

export async function setProviderEnabled(deps: Deps, operatorId: string, id: string, enabled: boolean) {
  await deps.db.prisma.$transaction(async (tx) => {
    const { count: changed } = await tx.provider.updateMany({ where: { id }, data: { enabled } });
    if (changed === 0) throw new AppError("NOT_FOUND", "Provider not found");
    await recordAudit(tx, { operatorId, action: enabled ? "provider.enable" : "provider.disable", target: id });
  });
  return getProvider(deps, id);
}

// -------------------------------------------------------------- routing rules

type Tx = Prisma.TransactionClient;

async function checkRuleRefs(tx: Tx, rule: { clientId: string | null; providerIds: string[] }) {
  if (rule.clientId) {
    const client = await tx.client.findUnique({ where: { id: rule.clientId }, select: { id: true } });
    if (!client) throw new AppError("BAD_REQUEST", "Unknown client");
  }
  const found = await tx.provider.findMany({ where: { id: { in: rule.providerIds } }, select: { id: true } });
  const missing = rule.providerIds.filter((id) => !found.some((p) => p.id === id));
  if (missing.length > 0) throw new AppError("BAD_REQUEST", `Unknown provider: ${missing.join(", ")}`);
}

/** In the order they are tried among equally specific rules, with client and provider names to show. */
export async function listRules(db: Db) {
  const rules = await db.prisma.routingRule.findMany({ orderBy: [{ position: "asc" }, { createdAt: "asc" }] });
  const clientIds = [...new Set(rules.flatMap((r) => (r.clientId ? [r.clientId] : [])))];
  const providerIds = [...new Set(rules.flatMap((r) => r.providerIds))];
  const [clients, providers] = await Promise.all([
    db.prisma.client.findMany({ where: { id: { in: clientIds } }, select: { id: true, name: true } }),
    db.prisma.provider.findMany({ where: { id: { in: providerIds } }, select: { id: true, name: true } }),
  ]);
  const clientName = new Map(clients.map((c) => [c.id, c.name]));
  const providerName = new Map(providers.map((p) => [p.id, p.name]));
  return rules.map((r) => ({
    ...r,
    clientName: r.clientId ? (clientName.get(r.clientId) ?? null) : null,
    // A provider removed from the table still shows, by id, so the rule can be fixed.
    providers: r.providerIds.map((id) => ({ id, name: providerName.get(id) ?? null })),
  }));
}

function ruleAudit(rule: Omit<CreateRuleInput, "position"> & { position: number }) {
  return {
    clientId: rule.clientId,
    prefix: rule.prefix,
    category: rule.category,
    providerIds: rule.providerIds,
    position: rule.position,
    enabled: rule.enabled,
  };
}

export async function createRule(db: Db, operatorId: string, input: CreateRuleInput) {
  return db.prisma.$transaction(async (tx) => {
    await checkRuleRefs(tx, input);
    const position =
      input.position ?? ((await tx.routingRule.aggregate({ _max: { position: true } }))._max.position ?? -1) + 1;
    const rule = await tx.routingRule.create({
      data: {
        clientId: input.clientId,
        prefix: input.prefix,
        category: input.category,
        providerIds: input.providerIds,
        position,
        enabled: input.enabled,
      },
    });
    await recordAudit(tx, {
      operatorId,
      action: "routing-rule.create",
      target: rule.id,
      details: ruleAudit({ ...input, position }),
    });
    return rule;
  });
}

export async function updateRule(db: Db, operatorId: string, input: UpdateRuleInput) {
  const { id, ...rule } = input;
  return db.prisma.$transaction(async (tx) => {
    await checkRuleRefs(tx, rule);
    const { count: changed } = await tx.routingRule.updateMany({ where: { id }, data: rule });
    if (changed === 0) throw new AppError("NOT_FOUND", "Routing rule not found");
    await recordAudit(tx, { operatorId, action: "routing-rule.update", target: id, details: ruleAudit(rule) });
    return tx.routingRule.findUniqueOrThrow({ where: { id } });
  });
}

export async function deleteRule(db: Db, operatorId: string, id: string) {
  await db.prisma.$transaction(async (tx) => {
    const rule = await tx.routingRule.findUnique({ where: { id } });
    if (!rule) throw new AppError("NOT_FOUND", "Routing rule not found");
    await tx.routingRule.delete({ where: { id } });
    await recordAudit(tx, { operatorId, action: "routing-rule.delete", target: id, details: ruleAudit(rule) });
  });
}

export async function reorderRules(db: Db, operatorId: string, ids: string[]) {
  await db.prisma.$transaction(async (tx) => {
    const found = await tx.routingRule.findMany({ where: { id: { in: ids } }, select: { id: true } });
    if (found.length !== ids.length) throw new AppError("NOT_FOUND", "A routing rule was deleted meanwhile; reload");
    for (const [position, id] of ids.entries()) await tx.routingRule.update({ where: { id }, data: { position } });
    await recordAudit(tx, { operatorId, action: "routing-rule.reorder", target: "routing-rules", details: { ids } });
  });
}

export type ParkedSummary = {
  total: number;
  /** ISO time. */
  oldestParkedAt: string | null;
  byReason: { reason: string; count: number }[];
};

/** Messages parked for want of a provider (see server/delivery/parked.ts), for the providers page. */
export async function parkedSummary(deps: Pick<Deps, "db" | "namespace">): Promise<ParkedSummary> {
  const { rows } = await deps.db.pool.query<{ reason: string; count: number; oldest: Date }>(
    `SELECT reason, count(*)::int AS count, min(parked_at) AS oldest FROM parked_sends
     WHERE starts_with(topic, $1) GROUP BY reason ORDER BY count(*) DESC, reason`,
    [deps.namespace],
  );
  const oldest = rows.map((r) => r.oldest.getTime());
  return {
    total: rows.reduce((n, r) => n + r.count, 0),
    oldestParkedAt: oldest.length > 0 ? new Date(Math.min(...oldest)).toISOString() : null,
    byReason: rows.map((r) => ({ reason: r.reason, count: r.count })),
  };
}
