import type { Pool } from "pg";
import type { RoutedMessage } from "../kafka/topics";

export type RoutingRuleRow = {
  id: string;
  clientId: string | null;
  /** Destination prefix, with or without "+"; "" matches every number. */
  prefix: string;
  category: RoutedMessage["category"] | null;
  providerIds: string[];
  position: number;
};

export type RouteQuery = { clientId: string; recipient: string; category: RoutedMessage["category"] };

const digits = (s: string) => s.replace(/^\+/, "");

/**
 * The most specific enabled rule for a message: a client's own over any client's, a longer destination prefix over a
 * shorter one, a category's over any category's, then the lower position. Null when none matches.
 */
export function chooseRule(rules: readonly RoutingRuleRow[], q: RouteQuery): RoutingRuleRow | null {
  const to = digits(q.recipient);
  let best: RoutingRuleRow | null = null;
  for (const r of rules) {
    if (r.clientId !== null && r.clientId !== q.clientId) continue;
    if (r.category !== null && r.category !== q.category) continue;
    if (!to.startsWith(digits(r.prefix))) continue;
    if (best === null || compareSpecificity(r, best) < 0) best = r;
  }
  return best;
}

/** Negative when `a` is more specific than `b`. */
function compareSpecificity(a: RoutingRuleRow, b: RoutingRuleRow): number {
  const byClient = Number(b.clientId !== null) - Number(a.clientId !== null);
  if (byClient !== 0) return byClient;
  const byPrefix = digits(b.prefix).length - digits(a.prefix).length;
  if (byPrefix !== 0) return byPrefix;
  const byCategory = Number(b.category !== null) - Number(a.category !== null);
  if (byCategory !== 0) return byCategory;
  return a.position - b.position || (a.id < b.id ? -1 : 1);
}

/** The providers of a rule that can take a message now, in priority order (failover skips the others). */
export function availableProviders(providerIds: readonly string[], isAvailable: (id: string) => boolean): string[] {
  return providerIds.filter(isAvailable);
}

/**
 * Enabled routing rules, re-read at most every `ttlMs`: operators' edits apply within seconds without a query per
 * batch.
 */
export class RoutingRuleCache {
  private rules: RoutingRuleRow[] | undefined;
  private loadedAt = 0;
  private loading: Promise<RoutingRuleRow[]> | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly ttlMs = 5_000,
  ) {}

  /** `maxAgeMs` below the TTL forces a fresher copy (a message no cached rule matches may have a brand-new one). */
  async get(maxAgeMs = this.ttlMs, now = Date.now()): Promise<RoutingRuleRow[]> {
    if (this.rules && now - this.loadedAt < maxAgeMs) return this.rules;
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async load(): Promise<RoutingRuleRow[]> {
    const { rows } = await this.pool.query<{
      id: string;
      client_id: string | null;
      prefix: string;
      category: RoutedMessage["category"] | null;
      provider_ids: string[];
      position: number;
    }>("SELECT id, client_id, prefix, category, provider_ids, position FROM routing_rules WHERE enabled");
    this.rules = rows.map((r) => ({
      id: r.id,
      clientId: r.client_id,
      prefix: r.prefix,
      category: r.category,
      providerIds: r.provider_ids,
      position: r.position,
    }));
    this.loadedAt = Date.now();
    return this.rules;
  }
}
