import { hostname } from "node:os";
import type { Redis } from "ioredis";
import type { Pool } from "pg";
import type { Logger } from "pino";
import { CircuitBreaker } from "../circuit-breaker";
import { createHttpProvider } from "../http/adapter";
import type {
  DeliveryProvider,
  DeliveryReceipt,
  InboundSms,
  OutboundSms,
  SettleReceipt,
  SubmitResult,
  WriteGate,
} from "../provider";
import type { ProviderRow } from "./schemas";
import { SmppDeliveryProvider } from "./smpp-adapter";
import { providerStatusKey } from "../keys";
import { SubmitStats } from "./submit-stats";

const STATUS_TTL_SECONDS = 30;

type Entry = { row: ProviderRow; provider: DeliveryProvider; circuit: CircuitBreaker; stats: SubmitStats };

export type ProviderPoolOptions = {
  pool: Pool;
  redis: Redis;
  log: Logger;
  topicPrefix: string;
  onReceipt: (providerId: string, receipt: DeliveryReceipt, settle: SettleReceipt) => void;
  /** A handset's message on a bind; without this it is acknowledged and dropped. */
  onInbound?: (providerId: string, sms: InboundSms, settle: SettleReceipt) => void;
  /** Only providers whose name starts with this (DELIVERY_PROVIDER_NAME_PREFIX). */
  namePrefix?: string;
  reloadIntervalMs?: number;
  statusIntervalMs?: number;
  /** Failover: consecutive transient failures that open a provider's circuit, and for how long. */
  circuitThreshold?: number;
  circuitCoolDownMs?: number;
};

/**
 * One DeliveryProvider per enabled providers row, kept in line with the table (re-read when max(updated_at) or the
 * row count changes), each with its circuit breaker and counters; publishes every provider's live status to Redis.
 */
export class ProviderPool {
  private readonly entries = new Map<string, Entry>();
  private signature = "";
  private reloadTimer: NodeJS.Timeout | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private reloading: Promise<void> | undefined;
  private readonly worker = `${hostname()}:${process.pid}`;

  constructor(private readonly opts: ProviderPoolOptions) {}

  async start(): Promise<void> {
    await this.reload();
    this.reloadTimer = setInterval(() => void this.reload(), this.opts.reloadIntervalMs ?? 3_000);
    this.statusTimer = setInterval(() => void this.publishStatus(), this.opts.statusIntervalMs ?? 1_000);
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  /** Bound (or the HTTP equivalent) and not cut off by its circuit breaker. */
  isAvailable(id: string, now = Date.now()): boolean {
    const e = this.entries.get(id);
    return e !== undefined && e.provider.status().state === "bound" && !e.circuit.isOpen(now);
  }

  /** Ready when every enabled provider is bound (or none is configured). */
  allBound(): boolean {
    return [...this.entries.values()].every((e) => e.provider.status().state === "bound");
  }

  /** Submits through one provider, feeding its circuit breaker (transient failures) and counters. */
  async submit(id: string, sms: OutboundSms, gate?: WriteGate): Promise<SubmitResult> {
    const e = this.entries.get(id);
    if (!e) {
      return { ok: false, kind: "transient", reason: "NOT_BOUND", mayHaveBeenSent: false, acceptedPartIds: [] };
    }
    const result = await e.provider.submit(sms, gate);
    if (result.ok) {
      e.circuit.recordSuccess();
      e.stats.recordSubmitted(result.partMessageIds.length);
    } else if (result.kind !== "fenced") {
      e.stats.recordError();
      if (result.kind === "transient") e.circuit.recordFailure();
    }
    return result;
  }

  async stop(): Promise<void> {
    clearInterval(this.reloadTimer);
    clearInterval(this.statusTimer);
    await this.reloading;
    await Promise.all([...this.entries.values()].map((e) => e.provider.stop(5_000)));
    this.entries.clear();
  }

  /** Re-reads the providers now (also done on a timer): a message routed to one this pool has not loaded yet. */
  reload(): Promise<void> {
    this.reloading ??= this.runReload()
      .catch((err) => this.opts.log.error({ err }, "provider reload failed"))
      .finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  private async runReload(): Promise<void> {
    const { rows: sig } = await this.opts.pool.query<{ m: Date | null; n: number }>(
      "SELECT max(updated_at) AS m, count(*)::int AS n FROM providers",
    );
    const signature = `${sig[0]?.m?.getTime() ?? 0}:${sig[0]?.n ?? 0}`;
    if (signature === this.signature) return;
    const { rows } = await this.opts.pool.query<{
      id: string;
      name: string;
      kind: "SMPP" | "HTTP";
      enabled: boolean;
      max_tps: number;
      settings: unknown;
      updated_at: Date;
    }>(
      "SELECT id, name, kind, enabled, max_tps, settings, updated_at FROM providers WHERE enabled AND starts_with(name, $1)",
      [this.opts.namePrefix ?? ""],
    );
    const wanted = new Map<string, ProviderRow>(
      rows.map((r) => [
        r.id,
        {
          id: r.id,
          name: r.name,
          kind: r.kind,
          enabled: r.enabled,
          maxTps: r.max_tps,
          settings: r.settings,
          updatedAt: r.updated_at,
        },
      ]),
    );
    // Changed or removed providers are stopped first (their in-flight submits drain), then (re)created.
    for (const [id, e] of this.entries) {
      const next = wanted.get(id);
      if (!next || next.updatedAt.getTime() !== e.row.updatedAt.getTime()) {
        this.entries.delete(id);
        await e.provider.stop(5_000).catch((err) => this.opts.log.warn({ err, provider: id }, "provider stop failed"));
        this.opts.log.info({ provider: e.row.name }, "provider stopped (settings changed or disabled)");
      }
    }
    for (const [id, row] of wanted) {
      if (this.entries.has(id)) continue;
      const provider = this.create(row);
      if (!provider) continue;
      provider.on("receipt", (r, settle) => this.opts.onReceipt(id, r, settle));
      const onInbound = this.opts.onInbound;
      if (onInbound) provider.on("inbound", (sms, settle) => onInbound(id, sms, settle));
      provider.start();
      this.entries.set(id, { row, provider, circuit: this.circuit(), stats: new SubmitStats() });
      this.opts.log.info({ provider: row.name, kind: row.kind }, "provider started");
    }
    this.signature = signature;
  }

  private circuit(): CircuitBreaker {
    return new CircuitBreaker(this.opts.circuitThreshold ?? 5, this.opts.circuitCoolDownMs ?? 10_000);
  }

  private create(row: ProviderRow): DeliveryProvider | null {
    try {
      if (row.kind === "SMPP")
        return new SmppDeliveryProvider(row.id, row.name, row.maxTps, row.settings, this.opts.log);
      return createHttpProvider(row, this.opts.log);
    } catch (err) {
      // Invalid settings: skipped (and logged) until an operator fixes the row, which triggers a reload.
      this.opts.log.error({ err, provider: row.name }, "provider settings invalid, provider skipped");
      return null;
    }
  }

  private async publishStatus(): Promise<void> {
    if (this.entries.size === 0) return;
    const now = new Date();
    const pipeline = this.opts.redis.pipeline();
    for (const [id, e] of this.entries) {
      const s = e.provider.status();
      const key = providerStatusKey(this.opts.topicPrefix, id);
      pipeline.hset(key, {
        state: s.state,
        binds: s.binds,
        bindsBound: s.bindsBound,
        windowInUse: s.windowInUse,
        windowSize: s.windowSize,
        maxTps: s.maxTps,
        queued: s.queued,
        submittedTotal: e.stats.submittedTotal,
        errorsTotal: e.stats.errorsTotal,
        measuredTps: e.stats.measuredTps(now.getTime()),
        worker: this.worker,
        updatedAt: now.toISOString(),
      });
      pipeline.expire(key, STATUS_TTL_SECONDS);
    }
    await pipeline.exec().catch((err) => this.opts.log.warn({ err }, "provider status not published"));
  }
}
