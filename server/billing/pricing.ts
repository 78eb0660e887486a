import type pg from "pg";
import type { MessageCategory } from "@prisma/client";

// Price per segment from a client's rate plan: the longest destination
// prefix that matches wins; at equal length a price for the message's
// category beats one for any category; no match → the plan's default.

export type RatePlanPrices = {
  id: string;
  currency: string;
  defaultPricePerSegment: bigint;
  prices: { prefix: string; category: MessageCategory | null; pricePerSegment: bigint }[];
};

export function pricePerSegment(plan: RatePlanPrices, category: MessageCategory, e164: string): bigint {
  let best: RatePlanPrices["prices"][number] | undefined;
  for (const p of plan.prices) {
    if (!e164.startsWith(p.prefix) || (p.category !== null && p.category !== category)) continue;
    if (
      !best ||
      p.prefix.length > best.prefix.length ||
      (p.prefix.length === best.prefix.length && best.category === null && p.category !== null)
    ) {
      best = p;
    }
  }
  return best ? best.pricePerSegment : plan.defaultPricePerSegment;
}

const PLAN_TTL_MS = 30_000;

/** Rate plans change rarely: each process keeps them for a short while. */
export class RatePlanCache {
  private plans = new Map<string, { plan: RatePlanPrices; at: number }>();

  constructor(private readonly pool: pg.Pool) {}

  async get(ids: string[], now = Date.now()): Promise<Map<string, RatePlanPrices>> {
    const out = new Map<string, RatePlanPrices>();
    const missing: string[] = [];
    for (const id of new Set(ids)) {
      const cached = this.plans.get(id);
      if (cached && now - cached.at < PLAN_TTL_MS) out.set(id, cached.plan);
      else missing.push(id);
    }
    if (missing.length > 0) {
      const { rows } = await this.pool.query<{
        id: string;
        currency: string;
        default_price: string;
        prices: { prefix: string; category: MessageCategory | null; price: string }[] | null;
      }>(
        `SELECT p.id, p.currency, p.default_price_per_segment::text AS default_price,
                (SELECT json_agg(json_build_object('prefix', r.prefix, 'category', r.category,
                                                   'price', r.price_per_segment::text))
                 FROM rate_prices r WHERE r.rate_plan_id = p.id) AS prices
         FROM rate_plans p WHERE p.id = ANY($1::text[])`,
        [missing],
      );
      for (const r of rows) {
        const plan: RatePlanPrices = {
          id: r.id,
          currency: r.currency,
          defaultPricePerSegment: BigInt(r.default_price),
          prices: (r.prices ?? []).map((p) => ({
            prefix: p.prefix,
            category: p.category,
            pricePerSegment: BigInt(p.price),
          })),
        };
        this.plans.set(r.id, { plan, at: now });
        out.set(r.id, plan);
      }
    }
    return out;
  }
}
