import type { MessageCategory } from "@prisma/client";
import type { Db } from "../db";
import { AppError } from "../errors";
import { analyzeText } from "../messages/encoding";
import { readUploadRows } from "../uploads/service";
import { normalizeRecipient } from "../validation/phone";
import { renderTemplate } from "../validation/template";
import { destinationOf } from "./destination";
import { RatePlanCache, pricePerSegment, type RatePlanPrices } from "./pricing";

// A campaign's quote: every recipient row rendered, split into segments and
// priced exactly as the validator and the billing lane will, summed per
// destination. It streams the recipient list (one stored chunk in memory at
// a time), so a million-row campaign costs seconds, not memory. It is an
// upper bound: opt-outs, duplicates and quiet-hours rejections only lower
// the bill.

export type QuoteLine = { destination: string; recipients: number; segments: number; amount: bigint };
export type Quote = {
  campaignId: string;
  currency: string;
  total: bigint;
  recipients: number;
  segments: number;
  /** Rows that will not be sent (bad number, missing variable, too many segments): not priced. */
  unsendable: number;
  lines: QuoteLine[];
};

export type QuoteInput = {
  campaignId: string;
  uploadId: string;
  template: string;
  category: MessageCategory;
  client: { defaultCountry: string; smartEncoding: boolean; maxSegments: number };
};

/** Prices one recipient row; null when the row will not be sent. */
export function priceRow(
  input: Pick<QuoteInput, "template" | "category" | "client">,
  plan: RatePlanPrices,
  row: { phone: string; variables: Record<string, string> },
): { destination: string; segments: number; amount: bigint } | null {
  const phone = normalizeRecipient(row.phone, input.client.defaultCountry);
  if (!phone.ok) return null;
  const rendered = renderTemplate(input.template, row.variables);
  if (!rendered.ok) return null;
  const { segments } = analyzeText(rendered.body, { smartEncoding: input.client.smartEncoding });
  if (segments > input.client.maxSegments) return null;
  const unit = pricePerSegment(plan, input.category, phone.e164);
  return { destination: destinationOf(phone.e164), segments, amount: unit * BigInt(segments) };
}

export async function computeQuote(pool: Db["pool"], plan: RatePlanPrices, input: QuoteInput): Promise<Quote> {
  const lines = new Map<string, QuoteLine>();
  let unsendable = 0;
  for await (const row of readUploadRows(pool, input.uploadId)) {
    const priced = priceRow(input, plan, row);
    if (!priced) {
      unsendable++;
      continue;
    }
    const line = lines.get(priced.destination);
    if (line) {
      line.recipients++;
      line.segments += priced.segments;
      line.amount += priced.amount;
    } else {
      lines.set(priced.destination, { recipients: 1, ...priced });
    }
  }
  const sorted = [...lines.values()].sort((a, b) => (a.amount === b.amount ? 0 : a.amount > b.amount ? -1 : 1));
  return {
    campaignId: input.campaignId,
    currency: plan.currency,
    total: sorted.reduce((sum, l) => sum + l.amount, 0n),
    recipients: sorted.reduce((n, l) => n + l.recipients, 0),
    segments: sorted.reduce((n, l) => n + l.segments, 0),
    unsendable,
    lines: sorted,
  };
}

/** Quotes a campaign and stores the total on it (shown in lists, used by the hold). */
export async function quoteCampaign(db: Db, campaignId: string): Promise<Quote> {
  const campaign = await db.prisma.campaign.findUnique({
    where: { id: campaignId },
    include: { client: { select: { defaultCountry: true, smartEncoding: true, maxSegments: true, ratePlanId: true } } },
  });
  if (!campaign) throw new AppError("NOT_FOUND", "Campaign not found");
  const plan = (await new RatePlanCache(db.pool).get([campaign.client.ratePlanId])).get(campaign.client.ratePlanId);
  if (!plan) throw new AppError("CONFLICT", "The client has no rate plan");
  const quote = await computeQuote(db.pool, plan, {
    campaignId,
    uploadId: campaign.uploadId,
    template: campaign.template,
    category: campaign.category,
    client: campaign.client,
  });
  await db.prisma.campaign.update({
    where: { id: campaignId },
    data: { quoteAmount: quote.total, quoteCurrency: quote.currency, quotedAt: new Date() },
  });
  return quote;
}
