import type { CampaignStatus, MessageStatus, Prisma } from "@prisma/client";
import type { Redis } from "ioredis";
import type { Db } from "../db";
import { AppError } from "../errors";
import { createUploadFromText } from "../uploads/service";
import { readCampaignCounts } from "./counters";
import type { CreateCampaignInput } from "./schemas";
import { publishCampaignState } from "./state";

export type CampaignDeps = { db: Db; redis: Redis };

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
 * recipients; this only changes state.
 */
export async function launchCampaign(deps: CampaignDeps, id: string, now = new Date()) {
  const campaign = await deps.db.prisma.campaign.findUnique({ where: { id }, select: { scheduledAt: true } });
  if (!campaign) throw new AppError("NOT_FOUND", "Campaign not found");
  if (campaign.scheduledAt && campaign.scheduledAt > now) return transition(deps, id, ["DRAFT"], "SCHEDULED");
  return transition(deps, id, ["DRAFT"], "RUNNING", { startedAt: now });
}

export async function startDueCampaigns(deps: CampaignDeps, now = new Date()): Promise<string[]> {
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
  return { ...campaign, counts, processed };
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
