import type { CampaignStatus, MessageStatus, Prisma } from "@prisma/client";
import type { Db } from "../db";
import { AppError } from "../errors";
import type { VolleyProducer } from "../kafka/client";
import { TOPICS, type BulkMessage } from "../kafka/topics";
import { metrics } from "../observability/metrics";
import { chunkBuffer, readRecipientLines, toRecipientLines } from "./recipients";
import type { CreateCampaignInput } from "./schemas";

export function campaignMessageId(campaignId: string, row: number): string {
  return `${campaignId}-${row}`;
}

export async function createCampaign(db: Db, input: CreateCampaignInput, operatorId: string | null) {
  const client = await db.prisma.client.findUnique({ where: { id: input.clientId }, select: { id: true } });
  if (!client) throw new AppError("NOT_FOUND", `Unknown client ${input.clientId}`);
  const { content, count } = toRecipientLines(input.recipients);
  if (count === 0) throw new AppError("BAD_REQUEST", "The recipient list is empty");
  return db.prisma.$transaction(async (tx) => {
    const campaign = await tx.campaign.create({
      data: {
        clientId: input.clientId,
        name: input.name,
        senderId: input.senderId,
        template: input.template,
        category: input.category,
        recipientCount: count,
        createdById: operatorId,
      },
    });
    await tx.campaignUploadChunk.createMany({
      data: chunkBuffer(content).map((data, seq) => ({ campaignId: campaign.id, seq, data: new Uint8Array(data) })),
    });
    return campaign;
  });
}

/**
 * Moves a DRAFT campaign to RUNNING and publishes one message per recipient
 * to bulk-topic, in batches, streaming the stored list. Message ids are
 * deterministic, so publishing a row twice creates no second message.
 */
export async function launchCampaign(
  deps: { db: Db; producer: VolleyProducer; topicPrefix: string; batchSize: number },
  campaignId: string,
): Promise<{ published: number }> {
  const { db } = deps;
  const claimed = await db.prisma.campaign.updateMany({
    where: { id: campaignId, status: { in: ["DRAFT", "SCHEDULED"] } },
    data: { status: "RUNNING", startedAt: new Date() },
  });
  if (claimed.count === 0) {
    const existing = await db.prisma.campaign.findUnique({ where: { id: campaignId }, select: { status: true } });
    if (!existing) throw new AppError("NOT_FOUND", "Campaign not found");
    throw new AppError(
      "CONFLICT",
      `Campaign is ${existing.status.toLowerCase()}, only drafts and scheduled campaigns can be launched`,
    );
  }
  const campaign = await db.prisma.campaign.findUniqueOrThrow({ where: { id: campaignId } });
  const topic = deps.topicPrefix + TOPICS.bulk.name;
  const createdAt = new Date().toISOString();
  let batch: BulkMessage[] = [];
  let published = 0;
  const flush = async () => {
    await deps.producer.send(
      topic,
      // Keyed by client so one client's traffic keeps its order downstream.
      batch.map((m) => ({ key: m.clientId, value: JSON.stringify(m) })),
    );
    published += batch.length;
    metrics.messagesPublished.inc(batch.length);
    batch = [];
  };
  try {
    for await (const [row, recipient] of readRecipientLines(db.pool, campaignId)) {
      batch.push({
        v: 1,
        messageId: campaignMessageId(campaignId, row),
        clientId: campaign.clientId,
        campaignId,
        row,
        recipient,
        sender: campaign.senderId,
        template: campaign.template,
        variables: {},
        category: campaign.category,
        createdAt,
      });
      if (batch.length >= deps.batchSize) await flush();
    }
    if (batch.length > 0) await flush();
  } catch (err) {
    // Back to DRAFT so it can be launched again; ids are deterministic, so
    // what was already published is not duplicated by the second launch.
    await db.prisma.campaign.updateMany({
      where: { id: campaignId, status: "RUNNING" },
      data: { status: "DRAFT", startedAt: null },
    });
    throw err;
  }
  return { published };
}

export type CampaignCounts = Partial<Record<MessageStatus, number>>;

export async function countMessagesByStatus(db: Db, campaignId: string): Promise<CampaignCounts> {
  const { rows } = await db.pool.query<{ status: MessageStatus; n: string }>(
    "SELECT status, count(*)::text AS n FROM messages WHERE campaign_id = $1 GROUP BY status",
    [campaignId],
  );
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

export async function getCampaign(db: Db, id: string) {
  const campaign = await db.prisma.campaign.findUnique({
    where: { id },
    include: { client: { select: { id: true, name: true, billingType: true } } },
  });
  if (!campaign) throw new AppError("NOT_FOUND", "Campaign not found");
  const counts = await countMessagesByStatus(db, id);
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
