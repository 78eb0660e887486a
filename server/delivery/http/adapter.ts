import { EventEmitter } from "node:events";
import type { Logger } from "pino";
import { metrics } from "@/server/observability/metrics";
import type {
  BindState,
  DeliveryProvider,
  DeliveryReceipt,
  InboundSms,
  OutboundSms,
  ProviderStatus,
  SettleReceipt,
  SubmitResult,
  WriteGate,
} from "../provider";
import { outboundSmsSchema } from "../smpp/encode";
import type { FailureKind } from "../smpp/errors";
import { SendQueue } from "../send-queue";
import { TokenBucket } from "../token-bucket";
import { classifyHttpStatus, classifyNetworkError, parseRetryAfter } from "./errors";
import { buildRequestBody, extractResponseError, extractResponseId } from "./mapping";
import { httpProviderSettingsSchema, type HttpProviderSettings } from "./schemas";

export type HttpProviderRow = { id: string; name: string; maxTps: number; settings: unknown };

type Job = {
  id: string;
  body: string;
  urgent: boolean;
  throttled: number;
  deadline: number;
  done: boolean;
  resolve: (result: SubmitResult) => void;
  reject: (err: unknown) => void;
  /** Asked just before the POST (again after a 429); see provider.ts. */
  gate: WriteGate | undefined;
  gateOpen: boolean;
};

/** What one request came back with. */
type Attempt =
  | { kind: "response"; status: number; retryAfter: string | null; bodyText: string }
  | { kind: "error"; err: unknown; timedOut: boolean; stopped: boolean };

/**
 * A generic JSON-over-HTTP carrier API as a DeliveryProvider: one POST per message, at most `concurrency` awaiting
 * their response (its "window") and `maxTps` a second. Node's fetch keeps connections alive per origin, so the window
 * reuses at most `concurrency` sockets. Receipts arrive on the webhook (another process), never as events here.
 */
export class HttpProvider
  extends EventEmitter<{ receipt: [DeliveryReceipt, SettleReceipt]; inbound: [InboundSms, SettleReceipt] }>
  implements DeliveryProvider
{
  readonly kind = "HTTP" as const;
  readonly id: string;
  readonly name: string;
  readonly settings: HttpProviderSettings;
  private readonly maxTps: number;
  private readonly bucket: TokenBucket;
  private readonly queue = new SendQueue<Job>((job) => job.urgent);
  private readonly inFlight = new Set<AbortController>();
  private readonly headers: Headers;
  private readonly labels: { provider: string };
  private state: BindState = "disconnected";
  private networkFailureStreak = 0;
  private pausedUntil = 0;
  private pumpTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private started = false;
  private stopping = false;

  constructor(
    row: HttpProviderRow,
    private readonly log: Logger,
  ) {
    super();
    this.id = row.id;
    this.name = row.name;
    this.maxTps = row.maxTps;
    this.settings = httpProviderSettingsSchema.parse(row.settings);
    this.bucket = new TokenBucket(row.maxTps);
    this.labels = { provider: row.name };
    // Set one by one (case-insensitive), so a configured header replaces a default instead of being appended to it.
    this.headers = new Headers({ "content-type": "application/json", accept: "application/json" });
    for (const [name, value] of Object.entries(this.settings.headers)) this.headers.set(name, value);
    if (this.settings.authValue) {
      this.headers.set(this.settings.authHeader, this.settings.authValue);
    }
  }

  /** Nothing to connect: the first request opens the connection. Reported "bound" until requests fail to get through. */
  start(): void {
    this.started = true;
    this.stopping = false;
    this.networkFailureStreak = 0;
    this.state = "bound";
    clearInterval(this.sweepTimer);
    this.sweepTimer = setInterval(() => this.sweepExpired(), 500);
    this.sweepTimer.unref();
    this.pump();
  }

  status(): ProviderStatus {
    return {
      state: this.state,
      binds: 1,
      bindsBound: this.state === "bound" ? 1 : 0,
      windowInUse: this.inFlight.size,
      windowSize: this.settings.concurrency,
      maxTps: this.maxTps,
      queued: this.queue.length,
    };
  }

  submit(input: OutboundSms, gate?: WriteGate): Promise<SubmitResult> {
    const parsed = outboundSmsSchema.safeParse(input);
    if (!parsed.success) {
      this.log.warn(
        { provider: this.name, messageId: input.id, issues: parsed.error.issues },
        "message cannot be sent",
      );
      return Promise.resolve(this.failure("permanent", "INVALID_MESSAGE", false));
    }
    if (this.stopping) return Promise.resolve(this.failure("transient", "STOPPED", false));
    const body = JSON.stringify(buildRequestBody(this.settings, parsed.data));
    return new Promise<SubmitResult>((resolve, reject) => {
      this.queue.push({
        id: parsed.data.id,
        body,
        urgent: parsed.data.urgent ?? false,
        throttled: 0,
        deadline: Date.now() + this.settings.queueTimeoutMs,
        done: false,
        resolve,
        reject,
        gate,
        gateOpen: !gate,
      });
      this.pump();
    });
  }

  /** Waits (up to `drainMs`) for requests in flight, then aborts what is left; queued messages fail as STOPPED. */
  async stop(drainMs = 5_000): Promise<void> {
    this.stopping = true;
    clearTimeout(this.pumpTimer);
    clearInterval(this.sweepTimer);
    for (const job of this.queue.drain()) this.finish(job, this.failure("transient", "STOPPED", false));
    const deadline = Date.now() + drainMs;
    while (this.inFlight.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    // An aborted request may have reached the provider: it resolves as TIMEOUT with mayHaveBeenSent.
    for (const controller of this.inFlight) controller.abort();
    while (this.inFlight.size > 0) await new Promise((r) => setTimeout(r, 10));
    this.started = false;
    this.state = "stopped";
  }

  private pump(): void {
    clearTimeout(this.pumpTimer);
    this.pumpTimer = undefined;
    if (!this.started || this.stopping) return;
    while (this.queue.length > 0 && this.inFlight.size < this.settings.concurrency) {
      const now = Date.now();
      const wait = Math.max(this.pausedUntil - now, this.bucket.msUntilNext(now));
      if (wait > 0) {
        this.pumpTimer = setTimeout(() => this.pump(), wait);
        return;
      }
      const job = this.queue.shift()!;
      if (job.done) continue;
      this.bucket.tryTake(now);
      void this.send(job);
    }
  }

  private async send(job: Job): Promise<void> {
    const controller = new AbortController();
    // The gate's answer holds a slot of the window, as the request that follows it does.
    this.inFlight.add(controller);
    metrics.httpProviderInFlight.set(this.labels, this.inFlight.size);
    if (!(await this.passGate(job))) {
      this.inFlight.delete(controller);
      metrics.httpProviderInFlight.set(this.labels, this.inFlight.size);
      this.pump();
      return;
    }
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.settings.timeoutMs);
    let attempt: Attempt;
    try {
      const res = await fetch(this.settings.url, {
        method: this.settings.method,
        headers: this.headers,
        body: job.body,
        signal: controller.signal,
        // A redirected POST becomes a GET; a moved API is a configuration error to surface, not to follow.
        redirect: "manual",
      });
      // The body is read under the same timeout: a provider that stalls mid-answer is as good as silent.
      const bodyText = await res.text();
      attempt = { kind: "response", status: res.status, retryAfter: res.headers.get("retry-after"), bodyText };
    } catch (err) {
      attempt = { kind: "error", err, timedOut, stopped: controller.signal.aborted && !timedOut };
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(controller);
      metrics.httpProviderInFlight.set(this.labels, this.inFlight.size);
    }
    this.onAttempt(job, attempt);
    this.pump();
  }

  /** False when the job was settled instead: another worker holds the message, the gate failed, or we stopped. */
  private async passGate(job: Job): Promise<boolean> {
    if (!job.gate || job.gateOpen) return true;
    let allowed: boolean;
    try {
      allowed = await job.gate.acquire();
    } catch (err) {
      if (!job.done) {
        job.done = true;
        job.reject(err);
      }
      return false;
    }
    if (!allowed) this.fail(job, "fenced", "FENCED", false);
    else if (this.stopping) {
      job.gate.release();
      this.fail(job, "transient", "STOPPED", false);
    } else job.gateOpen = true;
    return job.gateOpen;
  }

  private onAttempt(job: Job, attempt: Attempt): void {
    if (attempt.kind === "error" && attempt.stopped) {
      // Aborted by stop() with the request on the wire: the provider may have it.
      this.fail(job, "transient", "STOPPED", true);
      return;
    }
    if (attempt.kind === "error") {
      const c = classifyNetworkError(attempt.err, attempt.timedOut);
      this.networkFailureStreak++;
      if (this.networkFailureStreak >= this.settings.disconnectAfterFailures && this.state === "bound") {
        this.state = "disconnected";
        this.log.warn({ provider: this.name, failures: this.networkFailureStreak }, "http provider unreachable");
      }
      this.log.debug(
        { provider: this.name, messageId: job.id, reason: c.reason, code: c.code },
        "http provider request failed",
      );
      this.fail(job, c.kind, c.reason, c.mayHaveBeenSent);
      return;
    }
    // Any answer at all means the provider is reachable.
    this.networkFailureStreak = 0;
    if (this.state === "disconnected" && this.started && !this.stopping) {
      this.state = "bound";
      this.log.info({ provider: this.name }, "http provider reachable again");
    }
    if (attempt.status >= 200 && attempt.status < 300) {
      const providerMessageId = extractResponseId(this.settings.responseIdPath, attempt.bodyText);
      if (!providerMessageId) {
        // Taken, but receipts could never be matched to it: left for bulk-proc to settle like a lost response.
        this.log.warn(
          { provider: this.name, messageId: job.id, status: attempt.status, body: attempt.bodyText.slice(0, 200) },
          "http provider accepted a message without an id at responseIdPath",
        );
        this.fail(job, "transient", "NO_MESSAGE_ID", true);
        return;
      }
      metrics.httpProviderRequests.inc({ ...this.labels, outcome: "accepted" });
      this.finish(job, { ok: true, providerMessageId, partMessageIds: [providerMessageId] });
      return;
    }
    const c = classifyHttpStatus(attempt.status);
    if (c.outcome === "failed") {
      const code = extractResponseError(this.settings.responseErrorPath, attempt.bodyText);
      this.fail(job, c.kind, code ? `${c.reason}:${code}` : c.reason, c.mayHaveBeenSent);
      return;
    }
    metrics.httpProviderRequests.inc({ ...this.labels, outcome: "throttled" });
    job.throttled++;
    const retryAfter = parseRetryAfter(attempt.retryAfter);
    if (job.throttled > this.settings.throttleRetryLimit || (retryAfter ?? 0) > this.settings.retryAfterMaxMs) {
      this.fail(job, "transient", "HTTP_429", false);
      return;
    }
    const backoff =
      retryAfter ??
      Math.min(this.settings.throttleBackoffMaxMs, this.settings.throttleBackoffBaseMs * 2 ** (job.throttled - 1));
    // Every sender on this provider waits, not just this message: the provider counts the whole account.
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + backoff);
    // Refused: a worker that dies during the backoff leaves it to be taken over and sent, rather than unconfirmed.
    if (job.gate) {
      job.gateOpen = false;
      job.gate.release();
    }
    this.queue.unshift(job);
  }

  private sweepExpired(): void {
    const now = Date.now();
    let expired = false;
    for (const job of this.queue) {
      if (!job.done && job.deadline < now) {
        // Queued jobs were never sent, or only answered 429: the provider does not have them.
        this.fail(job, "transient", "QUEUE_TIMEOUT", false);
        expired = true;
      }
    }
    if (expired) this.queue.retain((j) => !j.done);
  }

  private failure(kind: FailureKind | "fenced", reason: string, mayHaveBeenSent: boolean): SubmitResult {
    return { ok: false, kind, reason, mayHaveBeenSent, acceptedPartIds: [] };
  }

  private fail(job: Job, kind: FailureKind | "fenced", reason: string, mayHaveBeenSent: boolean): void {
    if (job.done) return;
    metrics.httpProviderRequests.inc({ ...this.labels, outcome: reason });
    this.finish(job, this.failure(kind, reason, mayHaveBeenSent));
  }

  private finish(job: Job, result: SubmitResult): void {
    if (job.done) return;
    job.done = true;
    job.resolve(result);
  }
}

/** A provider row of kind HTTP as a DeliveryProvider; throws (zod) when its settings are not valid. */
export function createHttpProvider(provider: HttpProviderRow, log: Logger): HttpProvider {
  return new HttpProvider(provider, log);
}
