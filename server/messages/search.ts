import type { Db } from "../db";
import { AppError } from "../errors";
import { KeysetQuery, pageOf } from "../keyset-page";
import { API_MESSAGE_PREFIX } from "../client-api/messages";
import type { SearchMessagesInput } from "./schemas";

type Row = {
  id: string;
  client_id: string;
  client_name: string | null;
  campaign_id: string | null;
  recipient: string;
  sender: string;
  category: string;
  status: string;
  status_reason: string | null;
  segments: number;
  created_at: Date;
  final_at: Date | null;
};

/** A page of messages, newest first, and the cursor of the next page (null on the last). */
export async function searchMessages(db: Db, input: SearchMessagesInput) {
  const q = new KeysetQuery();
  if (input.messageId) q.where((p) => `m.id = ${p}`, input.messageId);
  if (input.recipient) q.where((p) => `m.recipient = ${p}`, input.recipient);
  if (input.clientId) q.where((p) => `m.client_id = ${p}`, input.clientId);
  if (input.status) q.where((p) => `m.status = ${p}::"MessageStatus"`, input.status);
  if (input.source === "api") q.where((p) => `m.campaign_id IS NULL AND m.id LIKE ${p}`, `${API_MESSAGE_PREFIX}%`);
  if (input.source === "campaign") q.whereSql("m.campaign_id IS NOT NULL");
  q.after(input.cursor, "m.created_at", "m.id");
  const limit = q.limit(input.limit);
  const { rows } = await db.pool.query<Row>(
    `SELECT m.id, m.client_id, c.name AS client_name, m.campaign_id, m.recipient, m.sender, m.category, m.status,
            m.status_reason, m.segments, m.created_at, m.final_at
     FROM messages m LEFT JOIN clients c ON c.id = m.client_id
     WHERE ${q.whereClause}
     ORDER BY m.created_at DESC, m.id DESC
     LIMIT ${limit}`,
    q.params,
  );
  const { page, nextCursor } = pageOf(rows, input.limit, (r) => ({ at: r.created_at, id: r.id }));
  return {
    items: page.map((r) => ({
      id: r.id,
      clientId: r.client_id,
      clientName: r.client_name,
      campaignId: r.campaign_id,
      recipient: r.recipient,
      sender: r.sender,
      category: r.category,
      status: r.status,
      reason: r.status_reason,
      segments: r.segments,
      createdAt: r.created_at,
      finalAt: r.final_at,
    })),
    nextCursor,
  };
}

/** Everything known about one message: its row, its submission to a carrier, its money and its webhook. */
export async function messageDetail(db: Db, id: string) {
  const message = await db.prisma.message.findUnique({ where: { id } });
  if (!message) throw new AppError("NOT_FOUND", "Message not found");
  const [client, campaign, submission, providerIds, ledger, usage, webhook] = await Promise.all([
    db.prisma.client.findUnique({ where: { id: message.clientId }, select: { id: true, name: true } }),
    message.campaignId
      ? db.prisma.campaign.findUnique({ where: { id: message.campaignId }, select: { id: true, name: true } })
      : null,
    db.prisma.submission.findUnique({ where: { messageId: id } }),
    db.prisma.providerMessage.findMany({ where: { messageId: id }, orderBy: { createdAt: "asc" } }),
    db.prisma.ledgerEntry.findMany({
      where: { reference: { in: [`cdr:${id}`, `refund:${id}`] } },
      select: { type: true, amount: true, reference: true, createdAt: true, accountId: true },
    }),
    db.prisma.usageRecord.findMany({
      where: { reference: { in: [`cdr:${id}`, `refund:${id}`] } },
      select: { amount: true, currency: true, reference: true, segments: true, createdAt: true, invoiceId: true },
    }),
    db.prisma.webhookDelivery.findUnique({
      where: { id },
      select: { state: true, attempts: true, lastError: true, lastHttpStatus: true, deliveredAt: true },
    }),
  ]);
  const ledgerCurrency = ledger[0]
    ? ((await db.prisma.account.findUnique({ where: { id: ledger[0].accountId }, select: { currency: true } }))
        ?.currency ?? null)
    : null;
  const provider = submission?.providerId
    ? await db.prisma.provider.findUnique({ where: { id: submission.providerId }, select: { id: true, name: true } })
    : null;
  return {
    message,
    client,
    campaign,
    submission: submission && {
      state: submission.state,
      attempts: submission.attempts,
      lastError: submission.lastError,
      provider,
      submittedAt: submission.submittedAt,
      validUntil: submission.validUntil,
    },
    providerMessageIds: providerIds.map((p) => p.providerMessageId),
    // Prepaid messages are charged in the ledger, postpaid ones as usage: one of the two is empty.
    charges: [
      ...ledger.map((l) => ({
        kind: l.type,
        amount: l.amount,
        at: l.createdAt,
        currency: ledgerCurrency,
        invoiceId: null,
      })),
      ...usage.map((u) => ({
        kind: u.reference.startsWith("refund:") ? "REFUND" : "USAGE",
        amount: u.amount,
        at: u.createdAt,
        currency: u.currency,
        invoiceId: u.invoiceId,
      })),
    ],
    webhook,
  };
}
