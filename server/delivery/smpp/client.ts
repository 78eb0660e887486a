import { EventEmitter } from "node:events";
import type { Logger } from "pino";
import smpp from "smpp";
import { z } from "zod";
import { metrics } from "@/server/observability/metrics";
import { SendQueue } from "../send-queue";
import { TokenBucket } from "../token-bucket";
import { buildSubmitParts, outboundSmsSchema, type OutboundSms, type SubmitFields } from "./encode";
import { classifySubmitStatus, type FailureKind } from "./errors";
import { corkUntilNextTick, STATUS, statusName } from "./protocol";
import { parseMobileOriginated, type InboundSms } from "./mobile-originated";
import { isReceipt, parseReceipt, type DeliveryReceipt } from "./receipts";
import { encodeSm, SmppSession } from "./wire";
import type { WriteGate } from "../provider";
import { MAX_BINDS } from "../providers/schemas";

export const smppProviderConfigSchema = z.object({
  name: z.string().min(1),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  systemId: z.string().min(1).max(15),
  password: z.string().max(64),
  systemType: z.string().max(12).default(""),
  /** Sessions bound at once with these credentials; messages go out on whichever has room. */
  binds: z.number().int().min(1).max(MAX_BINDS).default(1),
  /** submit_sm awaiting their response at once, per bind. */
  windowSize: z.number().int().min(1).max(1000).default(50),
  /** submit_sm PDUs (segments) per second, all binds together; 0 = no cap. */
  maxTps: z.number().min(0).default(0),
  enquireLinkIntervalMs: z.number().int().min(100).default(30_000),
  /** For submit_sm_resp, bind_resp and enquire_link_resp. */
  responseTimeoutMs: z.number().int().min(100).default(10_000),
  reconnectBaseMs: z.number().int().min(10).default(250),
  reconnectMaxMs: z.number().int().min(10).default(30_000),
  /** ESME_RTHROTTLED answers retried per segment before the message fails transiently. */
  throttleRetryLimit: z.number().int().min(0).default(20),
  throttleBackoffBaseMs: z.number().int().min(1).default(100),
  throttleBackoffMaxMs: z.number().int().min(1).default(2_000),
  /** How long a message may wait for a bind or a window slot before failing transiently (NOT_BOUND). */
  queueTimeoutMs: z.number().int().min(100).default(60_000),
  /** Send long texts whole in message_payload instead of UDH-concatenated segments. */
  useMessagePayload: z.boolean().default(false),
  registeredDelivery: z.boolean().default(true),
});
export type SmppProviderConfig = z.infer<typeof smppProviderConfigSchema>;
export type SmppProviderInput = z.input<typeof smppProviderConfigSchema>;

export type BindState = "disconnected" | "connecting" | "binding" | "bound" | "unbinding" | "stopped";

export type SubmitSuccess = {
  ok: true;
  /** The first segment's id; every segment's id is in partMessageIds (carriers send a receipt per segment). */
  providerMessageId: string;
  partMessageIds: string[];
};

export type SubmitFailure = {
  ok: false;
  /** fenced: not sent, its write gate said another worker holds the message now. */
  kind: FailureKind | "fenced";
  /** ESME_* name, or TIMEOUT, DISCONNECTED, NOT_BOUND, STOPPED, INVALID_MESSAGE. */
  reason: string;
  commandStatus?: number;
  /**
   * False when the carrier certainly did not take the message (an error response, never sent). True after a timeout
   * or a lost connection with the submit_sm on the wire: resubmitting may deliver it twice.
   */
  mayHaveBeenSent: boolean;
  /** Ids of segments the carrier accepted before the failure. */
  acceptedPartIds: string[];
};

export type SubmitResult = SubmitSuccess | SubmitFailure;

export type SmppProviderEvents = {
  state: [BindState];
  bound: [];
  bindFailed: [{ commandStatus: number; reason: string }];
  receipt: [DeliveryReceipt, (applied: boolean) => void];
  inbound: [InboundSms, (applied: boolean) => void];
};

/** The account's state when no session is bound: the furthest along of its sessions'. */
const AGGREGATE_ORDER: BindState[] = ["binding", "connecting", "unbinding", "disconnected", "stopped"];

type MessageJob = {
  partIds: (string | undefined)[];
  remaining: number;
  sentAny: boolean;
  /** Its segments awaiting a submit_sm_resp. */
  onWire: number;
  deadline: number;
  done: boolean;
  resolve: (result: SubmitResult) => void;
  reject: (err: unknown) => void;
  gate: WriteGate | undefined;
  /** closed: ask the gate before the next write; open: may be written; asking: segments held until it answers. */
  gateState: "closed" | "asking" | "open";
  held: PartJob[];
};

type PartJob = {
  message: MessageJob;
  index: number;
  fields: SubmitFields;
  throttled: number;
  urgent: boolean;
  /** Its throughput token is taken (before its gate is asked, so that an open gate means written at once). */
  paid: boolean;
};

type InFlight = { part: PartJob; timer: NodeJS.Timeout };

/** One bind_transceiver session of the provider, with its own window, keep-alive and reconnect backoff. */
type Bind = {
  index: number;
  session: smpp.Session | undefined;
  state: BindState;
  /** Its submit_sm awaiting a response, by the session's sequence number. */
  inFlight: Map<number, InFlight>;
  reconnectAttempt: number;
  reconnectTimer: NodeJS.Timeout | undefined;
  enquireTimer: NodeJS.Timeout | undefined;
};

/**
 * An SMPP v3.4 account at a carrier (or the simulator), as `binds` bind_transceiver sessions: keeps each bound
 * (enquire_link, reconnect with exponential backoff), sends submit_sm from one queue on whichever bound session has
 * room in its window, within one throughput cap for the account, and turns deliver_sm receipts from any session into
 * `receipt` events. A session that drops fails only what it had on the wire; the queue goes on through the others.
 */
export class SmppProvider extends EventEmitter<SmppProviderEvents> {
  readonly config: SmppProviderConfig;
  private readonly binds: Bind[];
  private _state: BindState = "disconnected";
  private readonly queue = new SendQueue<PartJob>((part) => part.urgent);
  /** Messages whose write gate has not answered yet (their segments are out of the queue meanwhile). */
  private readonly gating = new Set<MessageJob>();
  /** Segments set aside for their gate: they hold window slots, so no more are marked written than can be sent. */
  private heldParts = 0;
  private readonly bucket: TokenBucket;
  private inFlightTotal = 0;
  /** Where leastBusyBind starts looking. */
  private nextBind = 0;
  private pumpTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private pausedUntil = 0;
  private stopping = false;
  private readonly labels: { provider: string };
  // The per-PDU series, resolved once: prom-client looks labels up by hashing them on every call otherwise.
  private readonly windowGauge: { set(value: number): void };
  private readonly submittedCounter: { inc(): void };
  /** Per receipt status, made once: labelling a counter on every receipt validated and hashed its labels each time. */
  private readonly receiptCounters = new Map<string, { inc(): void }>();

  constructor(
    config: SmppProviderInput,
    private readonly log: Logger,
  ) {
    super();
    this.config = smppProviderConfigSchema.parse(config);
    this.bucket = new TokenBucket(this.config.maxTps);
    this.binds = Array.from({ length: this.config.binds }, (_, index) => ({
      index,
      session: undefined,
      state: "disconnected" as BindState,
      inFlight: new Map<number, InFlight>(),
      reconnectAttempt: 0,
      reconnectTimer: undefined,
      enquireTimer: undefined,
    }));
    this.labels = { provider: this.config.name };
    this.windowGauge = metrics.smppWindowInUse.labels(this.labels);
    this.submittedCounter = metrics.smppSubmitted.labels(this.labels);
  }

  /** The account's state: bound while at least one of its sessions is. */
  get state(): BindState {
    return this._state;
  }

  get bindsBound(): number {
    return this.binds.filter((b) => b.state === "bound").length;
  }

  get windowInUse(): number {
    return this.inFlightTotal;
  }

  get queued(): number {
    return this.queue.length;
  }

  start(): void {
    this.stopping = false;
    this.sweepTimer = setInterval(() => this.sweepExpired(), 500);
    this.sweepTimer.unref();
    for (const bind of this.binds) this.connect(bind);
  }

  /** Resolves once a session is bound; rejects after `timeoutMs`. */
  waitForBind(timeoutMs = this.config.responseTimeoutMs): Promise<void> {
    if (this._state === "bound") return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off("bound", onBound);
        reject(new Error(`${this.config.name}: not bound after ${timeoutMs} ms`));
      }, timeoutMs);
      const onBound = () => {
        clearTimeout(timer);
        resolve();
      };
      this.once("bound", onBound);
    });
  }

  /**
   * Queues a message's segments. With a gate, nothing of it is written until the gate allows it, asked when its
   * first segment is next in line (not earlier: a message that waited in the queue when the worker died was
   * certainly not sent). Rejects only when the gate cannot answer.
   */
  submit(input: OutboundSms, gate?: WriteGate): Promise<SubmitResult> {
    const parsed = outboundSmsSchema.safeParse(input);
    let fields: SubmitFields[];
    try {
      if (!parsed.success) throw new Error(parsed.error.issues.map((i) => i.message).join("; "));
      fields = buildSubmitParts(parsed.data, {
        useMessagePayload: this.config.useMessagePayload,
        registeredDelivery: this.config.registeredDelivery,
      });
    } catch (err) {
      this.log.warn({ err, messageId: input.id }, "message cannot be encoded");
      return Promise.resolve(this.failure("permanent", "INVALID_MESSAGE", false, []));
    }
    if (this.stopping) return Promise.resolve(this.failure("transient", "STOPPED", false, []));
    return new Promise<SubmitResult>((resolve, reject) => {
      const message: MessageJob = {
        partIds: fields.map(() => undefined),
        remaining: fields.length,
        sentAny: false,
        onWire: 0,
        deadline: Date.now() + this.config.queueTimeoutMs,
        done: false,
        resolve,
        reject,
        gate,
        gateState: gate ? "closed" : "open",
        held: [],
      };
      const urgent = parsed.data.urgent ?? false;
      fields.forEach((f, index) => this.queue.push({ message, index, fields: f, throttled: 0, urgent, paid: false }));
      this.pump();
    });
  }

  /** Waits (up to `drainMs`) for outstanding responses, unbinds and closes; queued messages fail as STOPPED. */
  async stop(drainMs = 5_000): Promise<void> {
    this.stopping = true;
    for (const bind of this.binds) clearTimeout(bind.reconnectTimer);
    clearInterval(this.sweepTimer);
    clearTimeout(this.pumpTimer);
    for (const part of this.queue.drain()) this.fail(part.message, "transient", "STOPPED", part.message.sentAny);
    for (const message of this.gating) this.fail(message, "transient", "STOPPED", message.sentAny);
    this.gating.clear();
    const deadline = Date.now() + drainMs;
    while (this.inFlightTotal > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await Promise.all(this.binds.map((bind) => this.unbind(bind)));
  }

  private async unbind(bind: Bind): Promise<void> {
    const session = bind.session;
    if (session && bind.state === "bound") {
      this.setBindState(bind, "unbinding");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1_000);
        const sent = session.send(new smpp.PDU("unbind"), () => {
          clearTimeout(timer);
          resolve();
        });
        if (!sent) {
          clearTimeout(timer);
          resolve();
        }
      });
    }
    if (session) await new Promise<void>((resolve) => session.destroy(() => resolve()));
    this.failInFlight(bind, "STOPPED");
    this.setBindState(bind, "stopped");
  }

  /** Sets a session's state and derives the account's: the most advanced state of its sessions. */
  private setBindState(bind: Bind, state: BindState): void {
    if (bind.state === state) return;
    bind.state = state;
    const bound = this.bindsBound;
    metrics.smppBound.set(this.labels, bound);
    const account =
      bound > 0 ? "bound" : (AGGREGATE_ORDER.find((s) => this.binds.some((b) => b.state === s)) ?? "disconnected");
    if (this._state === account) return;
    this._state = account;
    this.emit("state", account);
  }

  private connect(bind: Bind): void {
    if (this.stopping) return;
    this.setBindState(bind, "connecting");
    const session = new SmppSession({ host: this.config.host, port: this.config.port });
    bind.session = session;
    session.on("connect", () => this.bind(bind, session));
    // The package emits 'error' and then 'close'; reconnecting is left to 'close'.
    session.on("error", (err: Error) => {
      if (session === bind.session)
        this.log.warn({ err: err.message, provider: this.config.name, bind: bind.index }, "smpp socket error");
    });
    session.on("close", () => this.onClose(bind, session));
    session.on("enquire_link", (pdu: smpp.PDU) => session.send(pdu.response()));
    session.on("unbind", (pdu: smpp.PDU) => {
      // The carrier is going away (restart, maintenance): stop sending, answer, close; 'close' reconnects.
      this.setBindState(bind, "unbinding");
      session.send(pdu.response(), () => session.close());
    });
    session.on("deliver_sm", (pdu: smpp.PDU) => this.onDeliver(bind, session, pdu));
    session.on("pdu", (pdu: smpp.PDU) => {
      if (pdu.command === "generic_nack" && !bind.inFlight.has(pdu.sequence_number)) {
        this.log.warn({ status: statusName(pdu.command_status), bind: bind.index }, "generic_nack from provider");
      }
    });
  }

  private bind(bind: Bind, session: smpp.Session): void {
    this.setBindState(bind, "binding");
    const timer = setTimeout(() => {
      this.log.warn({ provider: this.config.name, bind: bind.index }, "bind timed out");
      session.destroy();
    }, this.config.responseTimeoutMs);
    const pdu = new smpp.PDU("bind_transceiver", {
      system_id: this.config.systemId,
      password: this.config.password,
      system_type: this.config.systemType,
      interface_version: 0x34,
    });
    session.send(pdu, (resp) => {
      clearTimeout(timer);
      if (session !== bind.session) return;
      if (resp.command_status !== STATUS.ESME_ROK) {
        const reason = statusName(resp.command_status);
        this.log.error({ provider: this.config.name, bind: bind.index, reason }, "bind refused");
        this.emit("bindFailed", { commandStatus: resp.command_status, reason });
        session.destroy();
        return;
      }
      bind.reconnectAttempt = 0;
      this.setBindState(bind, "bound");
      this.log.info({ provider: this.config.name, bind: bind.index }, "smpp bound");
      this.startEnquireLink(bind, session);
      this.emit("bound");
      this.pump();
    });
  }

  private startEnquireLink(bind: Bind, session: smpp.Session): void {
    clearInterval(bind.enquireTimer);
    bind.enquireTimer = setInterval(() => {
      // A link that does not answer within the response timeout is dead even if TCP has not noticed yet.
      const timer = setTimeout(() => {
        this.log.warn({ provider: this.config.name, bind: bind.index }, "enquire_link unanswered, reconnecting");
        session.destroy();
      }, this.config.responseTimeoutMs);
      const sent = session.send(new smpp.PDU("enquire_link"), () => clearTimeout(timer));
      if (!sent) clearTimeout(timer);
    }, this.config.enquireLinkIntervalMs);
    bind.enquireTimer.unref();
  }

  private onClose(bind: Bind, session: smpp.Session): void {
    if (session !== bind.session) return;
    clearInterval(bind.enquireTimer);
    bind.session = undefined;
    this.failInFlight(bind, "DISCONNECTED");
    if (this.stopping) return;
    this.setBindState(bind, "disconnected");
    const delay = Math.min(this.config.reconnectMaxMs, this.config.reconnectBaseMs * 2 ** bind.reconnectAttempt);
    bind.reconnectAttempt++;
    this.log.info({ provider: this.config.name, bind: bind.index, reconnectInMs: delay }, "smpp connection closed");
    bind.reconnectTimer = setTimeout(() => this.connect(bind), delay);
  }

  private answerDeliver(bind: Bind, session: smpp.Session, pdu: smpp.PDU, status: number): void {
    // A session that closed meanwhile cannot answer: the carrier sends the receipt again on the next bind.
    if (bind.session !== session) return;
    corkUntilNextTick(session);
    session.send(pdu.response({ command_status: status }));
  }

  private onDeliver(bind: Bind, session: smpp.Session, pdu: smpp.PDU): void {
    const receipt = isReceipt(pdu) ? parseReceipt(pdu) : undefined;
    if (!receipt) {
      const inbound = receipt === undefined ? parseMobileOriginated(pdu) : null;
      if (inbound) return this.onInbound(bind, session, pdu, inbound);
      this.answerDeliver(bind, session, pdu, STATUS.ESME_ROK);
      this.log.debug({ provider: this.config.name }, "non-final, binary or unreadable deliver_sm ignored");
      return;
    }
    let receiptCounter = this.receiptCounters.get(receipt.status);
    if (!receiptCounter) {
      receiptCounter = metrics.smppReceipts.labels({ ...this.labels, status: receipt.status });
      this.receiptCounters.set(receipt.status, receiptCounter);
    }
    receiptCounter.inc();
    // Answered once the receipt is applied, as carriers expect of a receipt acknowledged: one lost to a crash before
    // then is still the carrier's, and it sends it again (the receipt path takes a repeat in its stride).
    let settled = false;
    const listened = this.emit("receipt", receipt, (applied) => {
      if (settled) return;
      settled = true;
      this.answerDeliver(bind, session, pdu, applied ? STATUS.ESME_ROK : STATUS.ESME_RX_T_APPN);
    });
    if (!listened) this.answerDeliver(bind, session, pdu, STATUS.ESME_ROK);
  }

  /** A handset's message: answered once it is handed on (or at once with no listener), as a receipt is. */
  private onInbound(bind: Bind, session: smpp.Session, pdu: smpp.PDU, inbound: InboundSms): void {
    let settled = false;
    const listened = this.emit("inbound", inbound, (applied) => {
      if (settled) return;
      settled = true;
      this.answerDeliver(bind, session, pdu, applied ? STATUS.ESME_ROK : STATUS.ESME_RX_T_APPN);
    });
    if (!listened) this.answerDeliver(bind, session, pdu, STATUS.ESME_ROK);
  }

  private pump(): void {
    clearTimeout(this.pumpTimer);
    this.pumpTimer = undefined;
    while (this.queue.length > 0 && this.hasRoom()) {
      const now = Date.now();
      // A segment whose gate just opened has its token: it goes now, since its fence already says written.
      const paid = this.queue.peek()!.paid;
      const wait = paid ? 0 : Math.max(this.pausedUntil - now, this.bucket.msUntilNext(now));
      if (wait > 0) {
        this.pumpTimer = setTimeout(() => this.pump(), wait);
        return;
      }
      const part = this.queue.shift()!;
      if (part.message.done) continue;
      if (!paid) this.bucket.tryTake(now);
      part.paid = true;
      if (part.message.gateState !== "open") {
        this.holdForGate(part);
        continue;
      }
      this.send(this.leastBusyBind()!, part);
    }
  }

  /**
   * A segment may go: the bound sessions' windows have room for it, counting the segments waiting for their gate
   * (which then find a session with room when it opens).
   */
  private hasRoom(): boolean {
    let room = -this.heldParts;
    for (const bind of this.binds) if (bind.state === "bound") room += this.config.windowSize - bind.inFlight.size;
    return room > 0;
  }

  /**
   * The bound session with the fewest submit_sm on the wire (with room whenever hasRoom() is true); ties go round
   * the sessions in turn, so that a trickle under the throughput cap is spread too.
   */
  private leastBusyBind(): Bind | undefined {
    let best: Bind | undefined;
    const n = this.binds.length;
    for (let i = 0; i < n; i++) {
      const bind = this.binds[(this.nextBind + i) % n]!;
      if (bind.state === "bound" && (!best || bind.inFlight.size < best.inFlight.size)) best = bind;
    }
    if (best) this.nextBind = (best.index + 1) % n;
    return best;
  }

  /** Sets a segment aside until its message's gate answers; the first one held asks it. */
  private holdForGate(part: PartJob): void {
    const message = part.message;
    message.held.push(part);
    this.heldParts++;
    if (message.gateState === "asking") return;
    message.gateState = "asking";
    this.gating.add(message);
    message.gate!.acquire().then(
      (allowed) => this.onGate(message, allowed),
      (err: unknown) => {
        this.gating.delete(message);
        this.heldParts -= message.held.splice(0).length;
        if (message.done) return;
        message.done = true;
        message.reject(err);
      },
    );
  }

  private onGate(message: MessageJob, allowed: boolean): void {
    this.gating.delete(message);
    const held = message.held.splice(0);
    this.heldParts -= held.length;
    if (message.done) {
      this.pump();
      return;
    }
    if (!allowed) {
      this.fail(message, "fenced", "FENCED", false);
      this.pump();
      return;
    }
    message.gateState = "open";
    // Back at the front, in their order: they were next in line when they were set aside.
    for (const part of held.reverse()) this.queue.unshift(part);
    this.pump();
  }

  private send(bind: Bind, part: PartJob): void {
    const session = bind.session!;
    corkUntilNextTick(session);
    const pdu = encodeSm("submit_sm", part.fields);
    const ok = session.send(pdu, (resp) => this.onSubmitResp(bind, resp));
    if (!ok) {
      // Socket no longer writable: the message was not sent; it goes back in line for another session, and this one
      // is done with ('close' reconnects it).
      this.queue.unshift(part);
      this.setBindState(bind, "disconnected");
      session.destroy();
      return;
    }
    part.message.sentAny = true;
    part.message.onWire++;
    const timer = setTimeout(() => {
      this.takeInFlight(bind, pdu.sequence_number);
      this.fail(part.message, "transient", "TIMEOUT", true);
      this.pump();
    }, this.config.responseTimeoutMs);
    bind.inFlight.set(pdu.sequence_number, { part, timer });
    this.windowGauge.set(++this.inFlightTotal);
  }

  /** Removes a submit_sm from its session's window; undefined when it is no longer there. */
  private takeInFlight(bind: Bind, sequence: number): InFlight | undefined {
    const entry = bind.inFlight.get(sequence);
    if (!entry) return undefined;
    bind.inFlight.delete(sequence);
    this.windowGauge.set(--this.inFlightTotal);
    return entry;
  }

  private onSubmitResp(bind: Bind, resp: smpp.PDU): void {
    const entry = this.takeInFlight(bind, resp.sequence_number);
    // A response after its timeout (or after a reconnect reused the number) has been dealt with already.
    if (!entry) return;
    clearTimeout(entry.timer);
    const { part } = entry;
    const message = part.message;
    message.onWire--;
    if (resp.command_status === STATUS.ESME_ROK) {
      this.submittedCounter.inc();
      message.partIds[part.index] = String(resp.message_id ?? "");
      message.remaining--;
      if (message.remaining === 0 && !message.done) {
        const ids = message.partIds as string[];
        this.finish(message, { ok: true, providerMessageId: ids[0]!, partMessageIds: ids });
      }
    } else {
      const c = classifySubmitStatus(resp.command_status);
      if (c.throttle && !message.done) {
        metrics.smppThrottled.inc(this.labels);
        part.throttled++;
        if (part.throttled > this.config.throttleRetryLimit) {
          this.fail(message, "transient", c.reason, false, resp.command_status);
        } else {
          // Every sender on this bind backs off, not just this segment: the carrier counts the whole bind.
          const backoff = Math.min(
            this.config.throttleBackoffMaxMs,
            this.config.throttleBackoffBaseMs * 2 ** (part.throttled - 1),
          );
          this.pausedUntil = Math.max(this.pausedUntil, Date.now() + backoff);
          // Refused, and no other segment of it is with the carrier: a worker that dies during the backoff leaves
          // it to be taken over and sent, rather than unconfirmed.
          if (message.gate && message.onWire === 0 && message.partIds.every((id) => id === undefined)) {
            message.gateState = "closed";
            message.gate.release();
          }
          part.paid = false;
          this.queue.unshift(part);
        }
      } else {
        this.fail(message, c.kind, c.reason, false, resp.command_status);
      }
    }
    this.pump();
  }

  private failInFlight(bind: Bind, reason: string): void {
    const entries = [...bind.inFlight.values()];
    bind.inFlight.clear();
    this.inFlightTotal -= entries.length;
    this.windowGauge.set(this.inFlightTotal);
    for (const { part, timer } of entries) {
      clearTimeout(timer);
      this.fail(part.message, "transient", reason, true);
    }
  }

  private sweepExpired(): void {
    const now = Date.now();
    const expire = (message: MessageJob) => {
      if (!message.done && message.deadline < now) this.fail(message, "transient", "NOT_BOUND", message.sentAny);
    };
    for (const part of this.queue) expire(part.message);
    for (const message of this.gating) expire(message);
    this.queue.retain((p) => !p.message.done);
  }

  private failure(
    kind: SubmitFailure["kind"],
    reason: string,
    mayHaveBeenSent: boolean,
    acceptedPartIds: string[],
    commandStatus?: number,
  ): SubmitFailure {
    return { ok: false, kind, reason, mayHaveBeenSent, acceptedPartIds, ...(commandStatus ? { commandStatus } : {}) };
  }

  private fail(
    message: MessageJob,
    kind: SubmitFailure["kind"],
    reason: string,
    mayHaveBeenSent: boolean,
    commandStatus?: number,
  ): void {
    if (message.done) return;
    metrics.smppErrors.inc({ ...this.labels, reason });
    const accepted = message.partIds.filter((id): id is string => id !== undefined);
    this.finish(message, this.failure(kind, reason, mayHaveBeenSent, accepted, commandStatus));
  }

  private finish(message: MessageJob, result: SubmitResult): void {
    if (message.done) return;
    message.done = true;
    message.resolve(result);
  }
}
