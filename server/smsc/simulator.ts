import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import type { Logger } from "pino";
import smpp from "smpp";
import { z } from "zod";
import {
  concatenationFromUdh,
  corkUntilNextTick,
  ESM_CLASS_DELIVERY_RECEIPT,
  formatReceiptText,
  STATUS,
  statusName,
  type Concatenation,
} from "@/server/delivery/smpp/protocol";
import { encodeSm, SmppSession } from "@/server/delivery/smpp/wire";
import { encodeGsm7, encodeUcs2, gsm7Septets } from "@/server/messages/encoding";
import { TokenBucket } from "@/server/delivery/token-bucket";
import { metrics } from "@/server/observability/metrics";
import { decideOutcome, wantsReceipt } from "./outcomes";
import {
  receiptFields,
  type AcceptedPart,
  type MessageCount,
  type PendingReceipt,
  type SmscStore,
  type StoredStats,
} from "./store";

// Labelled once: labelling the counter on every submit validated and hashed its labels each time.
const SUBMITS = {
  accepted: metrics.smscSubmits.labels({ outcome: "accepted" }),
  refused: metrics.smscSubmits.labels({ outcome: "refused" }),
  throttled: metrics.smscSubmits.labels({ outcome: "throttled" }),
  rejected: metrics.smscSubmits.labels({ outcome: "rejected" }),
};

export type SmscSimulatorConfig = {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** Control API port; 0 picks a free one, null serves none. */
  httpPort: number | null;
  credentials: { systemId: string; password: string }[];
  receiptDelayMs: number;
  ratios: { undeliverable: number; expired: number };
  /** submit_sm per second across all sessions; 0 = no cap. */
  maxTps: number;
  /** deliver_sm receipts sent and not yet answered, per session (DEFAULT_RECEIPT_WINDOW when not set). */
  receiptWindow?: number;
};

export type SmscStats = StoredStats & { boundSessions: number };

/** One submit_sm as the simulator saw it, for tests and the control API. */
export type ReceivedPart = {
  messageId: string;
  volleyId: string | null;
  source: string;
  destination: string;
  dataCoding: number;
  esmClass: number;
  /** The whole UDH (length octet included) in hex, null without one. */
  udh: string | null;
  concatenation: Concatenation | null;
  text: string;
  usedMessagePayload: boolean;
  registeredDelivery: number;
};

type Mode = "transmitter" | "receiver" | "transceiver";

const mobileOriginatedSchema = z.object({
  from: z.string().trim().min(1).max(21),
  to: z.string().trim().min(1).max(21),
  text: z.string().max(1_000),
  systemId: z.string().min(1).optional(),
});
/** What the control API's POST /mo takes: a handset's message to one of the ESME's addresses. */
export type MobileOriginated = z.infer<typeof mobileOriginatedSchema>;

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 16_384) return null;
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    return null;
  }
}

type Peer = {
  session: smpp.Session;
  systemId: string | null;
  mode: Mode | null;
  /** deliver_sm sent and not yet answered, by sequence number. */
  receiptsOut: Map<number, PendingReceipt>;
  /** submit_sm accepted on this session. */
  accepted: number;
};

/** A bound session as the control API and tests see it. */
export type SessionView = { systemId: string; mode: Mode; accepted: number };

type Batched = { part: AcceptedPart; resolve: () => void; reject: (err: unknown) => void };

const BIND_COMMANDS: Record<string, Mode> = {
  bind_transmitter: "transmitter",
  bind_receiver: "receiver",
  bind_transceiver: "transceiver",
};
const RECEIPT_POLL_MS = 50;
const DEFAULT_RECEIPT_WINDOW = 200;
const RECENT_LIMIT = 2_000;
const ASSEMBLY_TTL_MS = 10 * 60_000;

function decodedMessage(field: unknown): { text: string; udh: Buffer[] | undefined; bytes: number } {
  if (Buffer.isBuffer(field)) return { text: field.toString("latin1"), udh: undefined, bytes: field.length };
  if (field && typeof field === "object" && "message" in field) {
    const m = field as smpp.DecodedMessage;
    const text = typeof m.message === "string" ? m.message : m.message.toString("latin1");
    return { text, udh: m.udh, bytes: text.length };
  }
  return { text: "", udh: undefined, bytes: 0 };
}

function contentHash(destination: string, text: string): string {
  return createHash("sha1").update(`${destination}\n${text}`).digest("hex");
}

function num(value: unknown): number {
  return typeof value === "number" ? value : 0;
}

function str(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/**
 * An SMPP v3.4 SMSC for development and tests: checks binds, answers submit_sm with its own ids, counts every Volley
 * message id (TLV 0x1401) it receives, and sends delivery receipts whose outcomes are deterministic per message id.
 */
/** Answers a PDU from the peer. A function, not a closure per PDU: tsx names each closure it creates, at a cost. */
function reply(peer: Peer, pdu: smpp.PDU, status: number, fields: Record<string, unknown> = {}): void {
  corkUntilNextTick(peer.session);
  peer.session.send(pdu.response({ ...fields, command_status: status }));
}

export class SmscSimulator {
  private readonly peers = new Set<Peer>();
  private readonly bucket: TokenBucket;
  private readonly idPrefix: string;
  private idCounter = 0;
  private readonly recent: ReceivedPart[] = [];
  private readonly assemblies = new Map<string, { texts: Map<number, string>; at: number }>();
  private batch: Batched[] = [];
  private batchScheduled = false;
  private submitsInProgress = 0;
  private receiptTimer: NodeJS.Timeout | undefined;
  private receiptLoop: Promise<void> | undefined;
  private receiptsKicked = false;
  /** Receipts a session may still have unanswered when it asks for more (half its window). */
  private readonly receiptRefill: number;
  private closing = false;
  private readonly requeues = new Set<Promise<void>>();
  private stopped: Promise<void> | undefined;
  private server!: net.Server;
  private httpServer: http.Server | undefined;
  port = 0;
  httpPort: number | null = null;

  private constructor(
    private readonly config: SmscSimulatorConfig,
    private readonly store: SmscStore,
    private readonly log: Logger,
  ) {
    this.bucket = new TokenBucket(config.maxTps);
    this.receiptRefill = Math.floor((config.receiptWindow ?? DEFAULT_RECEIPT_WINDOW) / 2);
    // Unique across restarts without shared state: start time plus random, then a counter.
    this.idPrefix = Date.now().toString(16) + randomBytes(2).toString("hex");
  }

  static async start(config: SmscSimulatorConfig, deps: { store: SmscStore; log: Logger }): Promise<SmscSimulator> {
    const sim = new SmscSimulator(config, deps.store, deps.log);
    await sim.listen();
    return sim;
  }

  get boundSessions(): number {
    return [...this.peers].filter((p) => p.mode !== null).length;
  }

  async stats(): Promise<SmscStats> {
    const systemIds = this.config.credentials.map((c) => c.systemId);
    return { ...(await this.store.stats(systemIds)), boundSessions: this.boundSessions };
  }

  /** Bound sessions, in the order they bound. */
  sessions(): SessionView[] {
    return [...this.peers]
      .filter((p) => p.mode !== null)
      .map((p) => ({ systemId: p.systemId!, mode: p.mode!, accepted: p.accepted }));
  }

  /** Drops one bound session of the system id without an unbind, as a carrier's link that fails does. */
  dropSession(systemId: string): boolean {
    const peer = [...this.peers].find((p) => p.systemId === systemId && p.mode !== null);
    peer?.session.destroy();
    return peer !== undefined;
  }

  /**
   * A handset's message (mobile-originated: a reply, a STOP) to a bound receiver or transceiver of `systemId` (any
   * bound one without it), as a deliver_sm of the default message type: GSM 7-bit when the text fits the alphabet,
   * UCS-2 otherwise. Resolves with the ESME's command_status, or null when no session can take it.
   */
  sendMobileOriginated(mo: MobileOriginated): Promise<number | null> {
    const peer = [...this.peers].find(
      (p) =>
        (p.mode === "receiver" || p.mode === "transceiver") &&
        (mo.systemId === undefined || p.systemId === mo.systemId),
    );
    if (!peer || this.closing) return Promise.resolve(null);
    const gsm = gsm7Septets(mo.text) !== null;
    const pdu = encodeSm("deliver_sm", {
      source_addr_ton: /^\+?\d+$/.test(mo.from) ? 1 : 5,
      source_addr_npi: 1,
      source_addr: mo.from.replace(/^\+/, ""),
      dest_addr_ton: /^\d+$/.test(mo.to) ? 1 : 5,
      destination_addr: mo.to,
      esm_class: 0,
      data_coding: gsm ? 0 : 8,
      short_message: gsm ? encodeGsm7(mo.text) : encodeUcs2(mo.text),
    });
    return new Promise((resolve) => {
      const sent = peer.session.send(pdu, (resp) => resolve(resp.command_status as number));
      if (!sent) resolve(null);
    });
  }

  messageCount(volleyId: string): Promise<MessageCount | null> {
    return this.store.messageCount(volleyId);
  }

  /** The most recent submit_sm received (up to 2,000), oldest first. */
  recentSubmits(): ReceivedPart[] {
    return this.recent.slice(-RECENT_LIMIT);
  }

  async reset(): Promise<void> {
    this.recent.length = 0;
    this.assemblies.clear();
    await this.store.reset();
  }

  private async listen(): Promise<void> {
    this.server = net.createServer((socket) => this.onSession(new SmppSession({ socket })));
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.config.port, this.config.host, () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    if (this.config.httpPort !== null) {
      this.httpServer = http.createServer((req, res) => void this.onHttp(req, res));
      await new Promise<void>((resolve, reject) => {
        this.httpServer!.once("error", reject);
        this.httpServer!.listen(this.config.httpPort!, this.config.host, resolve);
      });
      this.httpPort = (this.httpServer.address() as AddressInfo).port;
    }
    this.receiptTimer = setInterval(() => this.kickReceipts(), RECEIPT_POLL_MS);
    this.log.info({ port: this.port, httpPort: this.httpPort }, "SMSC simulator listening");
  }

  /**
   * Sends the receipts that are due, now or (if a round is under way) right after it. Besides the poll, a client
   * that has answered half its window asks for more: as a carrier does, it pushes receipts as fast as the client
   * takes them, rather than a window per poll.
   */
  private kickReceipts(): void {
    if (this.closing) return;
    if (this.receiptLoop) {
      this.receiptsKicked = true;
      return;
    }
    this.receiptLoop = this.sendDueReceipts().finally(() => {
      this.receiptLoop = undefined;
      if (!this.receiptsKicked) return;
      this.receiptsKicked = false;
      this.kickReceipts();
    });
  }

  private onSession(session: smpp.Session): void {
    const peer: Peer = { session, systemId: null, mode: null, receiptsOut: new Map(), accepted: 0 };
    this.peers.add(peer);
    session.on("error", (err: Error) => this.log.debug({ err: err.message }, "SMPP session error"));
    session.on("close", () => {
      const task = this.onPeerClose(peer).finally(() => this.requeues.delete(task));
      this.requeues.add(task);
    });
    session.on("pdu", (pdu: smpp.PDU) => this.onPdu(peer, pdu));
  }

  private async onPeerClose(peer: Peer): Promise<void> {
    this.peers.delete(peer);
    metrics.smscSessions.set(this.boundSessions);
    // Receipts the client never acknowledged go back in the queue for its next session.
    const unacked = [...peer.receiptsOut.values()];
    peer.receiptsOut.clear();
    await this.store.requeueReceipts(unacked).catch((err) => this.log.error({ err }, "could not requeue receipts"));
  }

  private onPdu(peer: Peer, pdu: smpp.PDU): void {
    if (pdu.isResponse()) return; // deliver_sm_resp / unbind_resp are handled by their send callbacks
    const bindMode = BIND_COMMANDS[pdu.command];
    if (bindMode) return this.onBind(peer, pdu, bindMode);
    switch (pdu.command) {
      case "enquire_link":
        reply(peer, pdu, STATUS.ESME_ROK);
        return;
      case "unbind":
        peer.session.send(pdu.response(), () => peer.session.close());
        return;
      case "submit_sm":
        if (peer.mode !== "transmitter" && peer.mode !== "transceiver")
          return void reply(peer, pdu, STATUS.ESME_RINVBNDSTS);
        this.onSubmit(peer, pdu);
        return;
      case "unknown":
        peer.session.send(pdu.response());
        return;
      default:
        if (!peer.mode) return void reply(peer, pdu, STATUS.ESME_RINVBNDSTS);
        reply(peer, pdu, STATUS.ESME_RINVCMDID);
    }
  }

  private onBind(peer: Peer, pdu: smpp.PDU, mode: Mode) {
    if (peer.mode) return void reply(peer, pdu, STATUS.ESME_RALYBND);
    const systemId = str(pdu.system_id);
    const credential = this.config.credentials.find((c) => c.systemId === systemId);
    let status: number = STATUS.ESME_ROK;
    if (this.closing || !credential) status = STATUS.ESME_RBINDFAIL;
    else if (credential.password !== str(pdu.password)) status = STATUS.ESME_RINVPASWD;
    if (status !== STATUS.ESME_ROK) {
      this.store.incr("bindFailures");
      this.log.info({ systemId, mode, status: statusName(status) }, "bind refused");
      return void reply(peer, pdu, status);
    }
    peer.mode = mode;
    peer.systemId = systemId;
    this.store.incr("bindsTotal");
    metrics.smscSessions.set(this.boundSessions);
    this.log.info({ systemId, mode }, "bound");
    reply(peer, pdu, STATUS.ESME_ROK, { system_id: "volley-smsc" });
  }

  private onSubmit(peer: Peer, pdu: smpp.PDU): void {
    if (this.closing) {
      // Shutting down: refuse rather than accept something whose response might never leave. Not counted.
      this.store.incr("refused");
      SUBMITS.refused.inc();
      return void reply(peer, pdu, STATUS.ESME_RSYSERR);
    }
    if (!this.bucket.tryTake()) {
      this.store.incr("throttled");
      SUBMITS.throttled.inc();
      return void reply(peer, pdu, STATUS.ESME_RTHROTTLED);
    }
    const destination = str(pdu.destination_addr);
    const short = decodedMessage(pdu.short_message);
    const usedMessagePayload = short.bytes === 0 && pdu.message_payload !== undefined;
    const body = usedMessagePayload ? decodedMessage(pdu.message_payload) : short;
    const concatenation =
      concatenationFromUdh(body.udh) ??
      (typeof pdu.sar_total_segments === "number" && pdu.sar_total_segments > 1
        ? { ref: num(pdu.sar_msg_ref_num), total: pdu.sar_total_segments, seq: num(pdu.sar_segment_seqnum) }
        : null);
    const volleyId = str(pdu.volley_message_id) || null;
    // The content hash only identifies messages that carry no Volley id: not computed for those that do.
    const outcomeKey =
      volleyId ?? (concatenation ? `${destination}:${concatenation.ref}` : contentHash(destination, body.text));
    const outcome = decideOutcome(destination, outcomeKey, this.config.ratios);
    if (outcome.reject) {
      this.store.incr("rejected");
      SUBMITS.rejected.inc();
      return void reply(peer, pdu, STATUS.ESME_RSUBMITFAIL);
    }

    peer.accepted++;
    const messageId = this.idPrefix + (this.idCounter++).toString(16).padStart(6, "0");
    const part: AcceptedPart = { seq: concatenation?.seq ?? 1, total: concatenation?.total ?? 1 };
    if (volleyId) part.volleyId = volleyId;
    else part.contentHash = this.contentHashWhenComplete(peer, destination, concatenation, body.text);
    const registeredDelivery = num(pdu.registered_delivery);
    if (wantsReceipt(registeredDelivery, outcome)) {
      const now = Date.now();
      part.receipt = {
        systemId: peer.systemId!,
        messageId,
        source: destination,
        sourceTon: num(pdu.dest_addr_ton),
        sourceNpi: num(pdu.dest_addr_npi),
        destination: str(pdu.source_addr),
        destTon: num(pdu.source_addr_ton),
        destNpi: num(pdu.source_addr_npi),
        ...receiptFields(outcome),
        submittedAt: now,
        due: now + this.config.receiptDelayMs,
        text: body.text,
      };
    }
    this.remember({
      messageId,
      volleyId,
      source: str(pdu.source_addr),
      destination,
      dataCoding: num(pdu.data_coding),
      esmClass: num(pdu.esm_class),
      udh: body.udh
        ? Buffer.concat([Buffer.from([body.udh.reduce((n, ie) => n + ie.length, 0)]), ...body.udh]).toString("hex")
        : null,
      concatenation,
      text: body.text,
      usedMessagePayload,
      registeredDelivery,
    });

    // Answer only once the count (and the owed receipt) is stored: an acknowledged message is never forgotten.
    this.submitsInProgress++;
    this.record(part)
      .then(
        () => {
          SUBMITS.accepted.inc();
          reply(peer, pdu, STATUS.ESME_ROK, { message_id: messageId });
        },
        (err) => {
          this.log.error({ err }, "could not record submit_sm");
          reply(peer, pdu, STATUS.ESME_RSYSERR);
        },
      )
      .finally(() => this.submitsInProgress--);
  }

  /** A message without a Volley id is counted by destination + text once every part is in. */
  private contentHashWhenComplete(
    peer: Peer,
    destination: string,
    concatenation: Concatenation | null,
    text: string,
  ): string | undefined {
    if (!concatenation) return contentHash(destination, text);
    const key = `${peer.systemId}:${destination}:${concatenation.ref}:${concatenation.total}`;
    let assembly = this.assemblies.get(key);
    if (!assembly) this.assemblies.set(key, (assembly = { texts: new Map(), at: Date.now() }));
    assembly.texts.set(concatenation.seq, text);
    if (assembly.texts.size < concatenation.total) return undefined;
    this.assemblies.delete(key);
    const whole = [...assembly.texts.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, t]) => t)
      .join("");
    return contentHash(destination, whole);
  }

  private remember(part: ReceivedPart): void {
    this.recent.push(part);
    // Trimmed once it holds twice the limit, not on every push (which moved 2,000 entries per message).
    if (this.recent.length >= 2 * RECENT_LIMIT) this.recent.splice(0, this.recent.length - RECENT_LIMIT);
  }

  /** Parts accepted in the same tick are written to the store together (one Redis round trip). */
  private record(part: AcceptedPart): Promise<void> {
    return new Promise((resolve, reject) => {
      this.batch.push({ part, resolve, reject });
      if (this.batchScheduled) return;
      this.batchScheduled = true;
      setImmediate(() => {
        this.batchScheduled = false;
        const items = this.batch;
        this.batch = [];
        this.store.recordParts(items.map((i) => i.part)).then(
          () => items.forEach((i) => i.resolve()),
          (err) => items.forEach((i) => i.reject(err)),
        );
      });
    });
  }

  private async sendDueReceipts(): Promise<void> {
    const now = Date.now();
    for (const [key, assembly] of this.assemblies) if (now - assembly.at > ASSEMBLY_TTL_MS) this.assemblies.delete(key);
    const receivers = new Map<string, Peer[]>();
    for (const peer of this.peers) {
      if (peer.systemId && (peer.mode === "receiver" || peer.mode === "transceiver")) {
        receivers.set(peer.systemId, [...(receivers.get(peer.systemId) ?? []), peer]);
      }
    }
    for (const [systemId, peers] of receivers) {
      const window = this.config.receiptWindow ?? DEFAULT_RECEIPT_WINDOW;
      const room = peers.reduce((n, p) => n + Math.max(0, window - p.receiptsOut.size), 0);
      if (room === 0) continue;
      let due: PendingReceipt[];
      try {
        due = await this.store.takeDueReceipts(systemId, now, room);
      } catch (err) {
        this.log.error({ err }, "could not read due receipts");
        return;
      }
      const unsent: PendingReceipt[] = [];
      for (const peer of peers) corkUntilNextTick(peer.session);
      due.forEach((receipt, i) => {
        const peer = peers[i % peers.length]!;
        if (this.closing || !this.sendReceipt(peer, receipt)) unsent.push(receipt);
      });
      if (unsent.length > 0) await this.store.requeueReceipts(unsent).catch(() => undefined);
    }
  }

  private sendReceipt(peer: Peer, r: PendingReceipt): boolean {
    const text = formatReceiptText({
      messageId: r.messageId,
      stat: r.stat,
      err: r.err,
      submitDate: new Date(r.submittedAt),
      doneDate: new Date(),
      text: r.text,
    });
    const errCode = Number.parseInt(r.err, 10) || 0;
    const pdu = encodeSm("deliver_sm", {
      source_addr_ton: r.sourceTon,
      source_addr_npi: r.sourceNpi,
      source_addr: r.source,
      dest_addr_ton: r.destTon,
      dest_addr_npi: r.destNpi,
      destination_addr: r.destination,
      esm_class: ESM_CLASS_DELIVERY_RECEIPT,
      data_coding: 0,
      short_message: Buffer.from(text, "ascii"),
      receipted_message_id: r.messageId,
      message_state: r.state,
      // network type 3 (GSM), then the 2-octet error code.
      network_error_code: Buffer.from([3, (errCode >> 8) & 0xff, errCode & 0xff]),
    });
    const sent = peer.session.send(pdu, (resp) => {
      if (!peer.receiptsOut.delete(resp.sequence_number)) return;
      if (peer.receiptsOut.size === this.receiptRefill) this.kickReceipts();
      if (resp.command_status === STATUS.ESME_ROK) {
        this.store.incr("receiptsSent");
        metrics.smscReceiptsSent.inc();
      } else {
        void this.store.requeueReceipts([{ ...r, due: Date.now() + 1_000 }]).catch(() => undefined);
      }
    });
    if (sent) peer.receiptsOut.set(pdu.sequence_number, r);
    return sent;
  }

  private async onHttp(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    };
    try {
      const url = new URL(req.url ?? "/", "http://localhost");
      const message = /^\/messages\/(.+)$/.exec(url.pathname);
      if (req.method === "GET" && url.pathname === "/stats") return json(200, await this.stats());
      if (req.method === "GET" && message) {
        const volleyId = decodeURIComponent(message[1]!);
        const count = await this.messageCount(volleyId);
        return json(200, count ?? { volleyId, received: 0, maxPartCopies: 0, total: 0, parts: [] });
      }
      if (req.method === "GET" && url.pathname === "/submits") {
        const limit = Math.min(RECENT_LIMIT, Number(url.searchParams.get("limit") ?? 100) || 100);
        return json(200, this.recent.slice(-limit));
      }
      if (req.method === "GET" && url.pathname === "/sessions") return json(200, this.sessions());
      if (req.method === "POST" && url.pathname === "/sessions/drop") {
        const systemId = url.searchParams.get("systemId") ?? "";
        return this.dropSession(systemId)
          ? json(200, { dropped: 1 })
          : json(404, { error: `no bound session of system_id "${systemId}"` });
      }
      if (req.method === "POST" && url.pathname === "/mo") {
        const mo = mobileOriginatedSchema.safeParse(await readJson(req));
        if (!mo.success) return json(400, { error: z.prettifyError(mo.error) });
        const status = await this.sendMobileOriginated(mo.data);
        return status === null
          ? json(404, { error: "no bound receiver or transceiver session to deliver it to" })
          : json(200, { commandStatus: status });
      }
      if (req.method === "POST" && url.pathname === "/reset") {
        await this.reset();
        return json(200, { ok: true });
      }
      json(404, { error: "not found" });
    } catch (err) {
      this.log.error({ err }, "control API error");
      json(500, { error: "internal error" });
    }
  }

  /**
   * Clean stop: refuse new submits, answer the ones being stored, unbind every session, put unacknowledged receipts
   * back in the store, close the ports. Safe to call twice.
   */
  stop(): Promise<void> {
    this.stopped ??= this.runStop();
    return this.stopped;
  }

  private async runStop(): Promise<void> {
    this.closing = true;
    clearInterval(this.receiptTimer);
    await this.receiptLoop;
    const deadline = Date.now() + 5_000;
    while ((this.submitsInProgress > 0 || this.batch.length > 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await Promise.all(
      [...this.peers].map(
        (peer) =>
          new Promise<void>((resolve) => {
            // close() (not destroy) flushes what is still buffered, e.g. the refusal of a submit_sm that crossed
            // the unbind on the wire; destroy only if the client does not answer.
            const timer = setTimeout(() => peer.session.destroy(), 1_000);
            peer.session.socket.once("close", () => {
              clearTimeout(timer);
              resolve();
            });
            if (!peer.mode || !peer.session.send(new smpp.PDU("unbind"), () => peer.session.close())) {
              peer.session.close();
            }
          }),
      ),
    );
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    await Promise.all([
      closed,
      this.httpServer ? new Promise<void>((resolve) => this.httpServer!.close(() => resolve())) : undefined,
    ]);
    await Promise.all(this.requeues);
    await this.store.flush();
    metrics.smscSessions.set(0);
    this.log.info("SMSC simulator stopped");
  }
}
