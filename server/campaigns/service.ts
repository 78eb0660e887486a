import type { CampaignStatus, MessageStatus, Prisma } from "@prisma/client";
import type { Redis } from "ioredis";
import type { Db } from "../db";
import { AppError } from "../errors";
import { availableBalance } from "../billing/balance-gate";
import { holdRemaining, placeHold, releaseHolds } from "../billing/holds";
import { quoteCampaign } from "../billing/quote";
import { createUploadFromText } from "../uploads/service";
import { readCampaignCounts } from "./counters";
import type { CreateCampaignInput } from "./schemas";
import { publishCampaignState } from "./state";

export type CampaignDeps = { db: Db; redis: Redis; env: { KAFKA_TOPIC_PREFIX: string } };

const holdDeps = (deps: CampaignDeps) => ({ ...deps, namespace: deps.env.KAFKA_TOPIC_PREFIX });

export function campaignMessageId(campaignId: string, row: number): string {
  return `${campaignId}-${row}`;
}

export async function createCampaign(
  deps: { db: Db; uploadMaxBytes: number },
  input: CreateCampaignInput,
  operatorId: string | null,
) {
  const { db } = deps;
  const client = await db.prisma.client.findUnique({ where: { id: input.clientId }, select: { id: true } });
  if (!client) throw new AppError("NOT_FOUND", `Unknown client ${input.clientId}`);
  const upload =
    input.recipients.kind === "paste"
      ? await createUploadFromText(db, input.recipients.text, { maxBytes: deps.uploadMaxBytes, operatorId })
      : await db.prisma.upload.findUnique({ where: { id: input.recipients.uploadId } });
  if (!upload || ("status" in upload && upload.status !== "READY")) {
    throw new AppError("NOT_FOUND", "That upload does not exist or was refused; upload the file again");
  }
  const validRows = upload.rowCount - upload.invalidRowCount;
  return db.prisma.campaign.create({
    data: {
      clientId: input.clientId,
      name: input.name,
      senderId: input.senderId,
      template: input.template,
      category: input.category,
      uploadId: upload.id,
      recipientCount: validRows,
      allowDefer: input.allowDefer,
      rateLimitPerSecond: input.rateLimitPerSecond ?? null,
      scheduledAt: input.scheduledAt ?? null,
      createdById: operatorId,
    },
  });
}

/**
 * Moves a campaign between states when it is in one of `from`; the state is
 * published to Redis so that every stage sees it within a second or two.
 */
async function transition(
  deps: CampaignDeps,
  id: string,
  from: CampaignStatus[],
  to: CampaignStatus,
  data: Prisma.CampaignUpdateManyMutationInput = {},
) {
  const updated = await deps.db.prisma.campaign.updateMany({
    where: { id, status: { in: from } },
    data: { ...data, status: to },
  });
  if (updated.count === 0) {
    const existing = await deps.db.prisma.campaign.findUnique({ where: { id }, select: { status: true } });
    if (!existing) throw new AppError("NOT_FOUND", "Campaign not found");
    throw new AppError(
      "CONFLICT",
      `Campaign is ${existing.status.toLowerCase()}: it cannot become ${to.toLowerCase()}`,
    );
  }
  await publishCampaignState(deps.redis, id, to);
  return deps.db.prisma.campaign.findUniqueOrThrow({ where: { id } });
}

/**
 * Starts a draft: RUNNING now, or SCHEDULED when its start time is ahead
 * (the scheduler starts it then). The launcher worker publishes the
 * recipients; this only changes state. With `hold`, a prepaid campaign first
 * sets its quoted amount aside (server/billing/holds.ts), and does not start
 * when the available balance does not cover it.
 */
export async function launchCampaign(deps: CampaignDeps, id: string, opts: { hold?: boolean } = {}, now = new Date()) {
  const campaign = await deps.db.prisma.campaign.findUnique({
    where: { id },
    select: { scheduledAt: true, status: true, holdPlacedAt: true, client: { select: { billingType: true } } },
  });
  if (!campaign) throw new AppError("NOT_FOUND", "Campaign not found");
  if (opts.hold && campaign.status === "DRAFT" && !campaign.holdPlacedAt) {
    if (campaign.client.billingType !== "PREPAID")
      throw new AppError("BAD_REQUEST", "Only prepaid campaigns hold their quote; postpaid usage is invoiced");
    const quote = await quoteCampaign(deps.db, id);
    const account = await deps.db.prisma.account.findFirst({
      where: { client: { campaigns: { some: { id } } } },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    });
    if (!account) throw new AppError("CONFLICT", "The client has no account");
    await placeHold(holdDeps(deps), {
      campaignId: id,
      accountId: account.id,
      amount: quote.total,
      currency: quote.currency,
    });
  }
  try {
    if (campaign.scheduledAt && campaign.scheduledAt > now) return await transition(deps, id, ["DRAFT"], "SCHEDULED");
    return await transition(deps, id, ["DRAFT"], "RUNNING", { startedAt: now });
  } catch (err) {
    // Launched twice at once, say: the hold of a campaign that did not start goes back.
    if (opts.hold) {
      const current = await deps.db.prisma.campaign.findUnique({ where: { id }, select: { status: true } });
      if (current?.status === "DRAFT") await releaseUnstartedHold(deps, id);
    }
    throw err;
  }
}

async function releaseUnstartedHold(deps: CampaignDeps, id: string) {
  await releaseHolds(holdDeps(deps), [id]);
  await deps.db.prisma.campaign.update({
    where: { id },
    data: { holdAmount: null, holdPlacedAt: null, holdReleasedAt: null },
  });
}

export async function startDueCampaigns(deps: Pick<CampaignDeps, "db" | "redis">, now = new Date()): Promise<string[]> {
  const { rows } = await deps.db.pool.query<{ id: string }>(
    `UPDATE campaigns SET status = 'RUNNING', started_at = $1, updated_at = $1
     WHERE status = 'SCHEDULED' AND scheduled_at <= $1 RETURNING id`,
    [now],
  );
  for (const row of rows) await publishCampaignState(deps.redis, row.id, "RUNNING");
  return rows.map((r) => r.id);
}

export function pauseCampaign(deps: CampaignDeps, id: string) {
  return transition(deps, id, ["RUNNING"], "PAUSED");
}

export async function resumeCampaign(deps: CampaignDeps, id: string) {
  const campaign = await transition(deps, id, ["PAUSED"], "RUNNING");
  // Messages parked while paused go back to the validator.
  await deps.db.pool.query(
    "UPDATE deferred_messages SET release_at = now() WHERE campaign_id = $1 AND release_at IS NULL",
    [id],
  );
  return campaign;
}

export async function cancelCampaign(deps: CampaignDeps, id: string) {
  const campaign = await transition(deps, id, ["DRAFT", "SCHEDULED", "RUNNING", "PAUSED"], "CANCELLED", {
    completedAt: new Date(),
  });
  // Everything still waiting is released now, and the validator marks it CANCELLED.
  await deps.db.pool.query("UPDATE deferred_messages SET release_at = now() WHERE campaign_id = $1", [id]);
  await releaseHolds(holdDeps(deps), [id]);
  return campaign;
}

export type CampaignCounts = Partial<Record<MessageStatus, number>>;

export async function getCampaign(deps: CampaignDeps, id: string) {
  const campaign = await deps.db.prisma.campaign.findUnique({
    where: { id },
    include: {
      client: { select: { id: true, name: true, billingType: true } },
      upload: { select: { fileName: true, rowCount: true, invalidRowCount: true, rowErrors: true } },
    },
  });
  if (!campaign) throw new AppError("NOT_FOUND", "Campaign not found");
  const counts = await readCampaignCounts(deps, id);
  const processed = Object.values(counts).reduce((a, b) => a + b, 0);
  const holdLeft = campaign.holdPlacedAt && !campaign.holdReleasedAt ? await holdRemaining(deps.redis, id) : null;
  return { ...campaign, counts, processed, holdLeft };
}

export async function listCampaigns(db: Db, opts: { limit: number; cursor?: string | null; status?: CampaignStatus }) {
  const where: Prisma.CampaignWhereInput = opts.status ? { status: opts.status } : {};
  const items = await db.prisma.campaign.findMany({
    where,
    take: opts.limit + 1,
    ...(opts.cursor ? { cursor: { id: opts.cursor }, skip: 1 } : {}),
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    include: { client: { select: { id: true, name: true } } },
  });
  const hasMore = items.length > opts.limit;
  const page = hasMore ? items.slice(0, opts.limit) : items;
  return { items: page, nextCursor: hasMore ? page[page.length - 1]!.id : null };
}

/**
 * The quote with what the client can spend: the available balance for a
 * prepaid client (credit headroom for a postpaid one), and whether it covers
 * the quote. Quoting streams the whole recipient list, so the console asks
 * for it on demand.
 */
export async function quoteForConsole(deps: CampaignDeps, id: string) {
  const quote = await quoteCampaign(deps.db, id);
  const campaign = await deps.db.prisma.campaign.findUniqueOrThrow({
    where: { id },
    select: {
      holdPlacedAt: true,
      client: { select: { billingType: true, accounts: { take: 1, orderBy: [{ createdAt: "asc" }, { id: "asc" }] } } },
    },
  });
  const account = campaign.client.accounts[0];
  const available = account
    ? await availableBalance(deps.redis, deps.db.pool, deps.env.KAFKA_TOPIC_PREFIX, account.id).catch(
        () => account.balance,
      )
    : 0n;
  return {
    ...quote,
    billingType: campaign.client.billingType,
    available,
    covers: available >= quote.total,
    held: campaign.holdPlacedAt !== null,
  };
}
