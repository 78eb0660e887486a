import smpp from "smpp";

// SMPP v3.4 details shared by Volley's client (server/delivery/smpp) and its SMSC simulator (server/smsc).

/** Vendor-specific TLV (0x1400–0x3FFF range) that carries the Volley message id on every submit_sm part. */
export const VOLLEY_MESSAGE_ID_TLV = 0x1401;

// `smpp` keeps its TLV table in module state: registering once at import makes every PDU built or parsed in this
// process encode and decode the tag by name (an unregistered tag would arrive as a raw Buffer keyed by its number).
if (!smpp.tlvs.volley_message_id) {
  smpp.addTLV("volley_message_id", { id: VOLLEY_MESSAGE_ID_TLV, type: smpp.types.tlv.string });
}

export const DATA_CODING = { GSM7: 0x00, UCS2: 0x08 } as const;
export const ESM_CLASS_UDHI = 0x40;
export const ESM_CLASS_DELIVERY_RECEIPT = 0x04;
// esm_class bits 2–5 hold the message type; a receipt is type 0b0001 there.
export const ESM_CLASS_TYPE_MASK = 0x3c;

/** message_state values (SMPP v3.4 §5.2.28). */
export const MESSAGE_STATE = {
  ENROUTE: 1,
  DELIVERED: 2,
  EXPIRED: 3,
  DELETED: 4,
  UNDELIVERABLE: 5,
  ACCEPTED: 6,
  UNKNOWN: 7,
  REJECTED: 8,
} as const;

/** The receipt text's `stat:` word for each final message_state. */
export const STAT_BY_STATE: Record<number, string> = {
  [MESSAGE_STATE.ENROUTE]: "ENROUTE",
  [MESSAGE_STATE.DELIVERED]: "DELIVRD",
  [MESSAGE_STATE.EXPIRED]: "EXPIRED",
  [MESSAGE_STATE.DELETED]: "DELETED",
  [MESSAGE_STATE.UNDELIVERABLE]: "UNDELIV",
  [MESSAGE_STATE.ACCEPTED]: "ACCEPTD",
  [MESSAGE_STATE.UNKNOWN]: "UNKNOWN",
  [MESSAGE_STATE.REJECTED]: "REJECTD",
};

export const STATUS = {
  ESME_ROK: 0x0000,
  ESME_RINVMSGLEN: 0x0001,
  ESME_RINVCMDLEN: 0x0002,
  ESME_RINVCMDID: 0x0003,
  ESME_RINVBNDSTS: 0x0004,
  ESME_RALYBND: 0x0005,
  ESME_RSYSERR: 0x0008,
  ESME_RINVSRCADR: 0x000a,
  ESME_RINVDSTADR: 0x000b,
  ESME_RBINDFAIL: 0x000d,
  ESME_RINVPASWD: 0x000e,
  ESME_RINVSYSID: 0x000f,
  ESME_RMSGQFUL: 0x0014,
  ESME_RINVESMCLASS: 0x0043,
  ESME_RSUBMITFAIL: 0x0045,
  ESME_RINVSRCTON: 0x0048,
  ESME_RINVDSTTON: 0x0050,
  ESME_RTHROTTLED: 0x0058,
  ESME_RINVEXPIRY: 0x0062,
  ESME_RX_T_APPN: 0x0064,
  ESME_RX_P_APPN: 0x0065,
  ESME_RX_R_APPN: 0x0066,
  ESME_RDELIVERYFAILURE: 0x00fe,
  ESME_RUNKNOWNERR: 0x00ff,
  ESME_RINVDCS: 0x0104,
} as const;

const NAME_BY_STATUS = new Map<number, string>(Object.entries(smpp.errors).map(([name, code]) => [code, name]));

/** `ESME_RTHROTTLED` for 0x58; an unlisted vendor code as `ESME_0x0400`. */
export function statusName(status: number): string {
  return NAME_BY_STATUS.get(status) ?? `ESME_0x${status.toString(16).padStart(4, "0")}`;
}

export type Concatenation = { ref: number; total: number; seq: number };

/** UDH with one concatenation IE, 8-bit reference: 05 00 03 ref total seq. */
export function concatenationUdh(ref: number, total: number, seq: number): Buffer {
  return Buffer.from([0x05, 0x00, 0x03, ref & 0xff, total, seq]);
}

/**
 * Concatenation info from the information elements `smpp` split a UDH into (each `[iei, len, …data]`): IE 00 (8-bit
 * reference) or 08 (16-bit reference).
 */
export function concatenationFromUdh(ies: readonly Buffer[] | undefined): Concatenation | null {
  for (const ie of ies ?? []) {
    if (ie[0] === 0x00 && ie[1] === 3 && ie.length >= 5) return { ref: ie[2]!, total: ie[3]!, seq: ie[4]! };
    if (ie[0] === 0x08 && ie[1] === 4 && ie.length >= 6) return { ref: ie.readUInt16BE(2), total: ie[4]!, seq: ie[5]! };
  }
  return null;
}

const two = (n: number) => String(n).padStart(2, "0");

/** YYMMDDhhmm in UTC, the date format of receipt texts. */
export function receiptDate(date: Date): string {
  return (
    two(date.getUTCFullYear() % 100) +
    two(date.getUTCMonth() + 1) +
    two(date.getUTCDate()) +
    two(date.getUTCHours()) +
    two(date.getUTCMinutes())
  );
}

/** The de facto receipt text of SMPP v3.4 Appendix B. */
export function formatReceiptText(r: {
  messageId: string;
  stat: string;
  err: string;
  submitDate: Date;
  doneDate: Date;
  text: string;
}): string {
  const dlvrd = r.stat === "DELIVRD" ? "001" : "000";
  // Receipts are sent as GSM-7/ASCII; the original text's first 20 characters are informational only.
  const text = r.text.slice(0, 20).replace(/[^\x20-\x7e]/g, "?");
  return (
    `id:${r.messageId} sub:001 dlvrd:${dlvrd} submit date:${receiptDate(r.submitDate)} ` +
    `done date:${receiptDate(r.doneDate)} stat:${r.stat} err:${r.err} text:${text}`
  );
}

/**
 * Holds the socket's writes until the current tick is over, so the PDUs sent in one go (a pump of the window, the
 * answers to a burst of receipts) leave in one write instead of one system call and TCP segment each.
 */
export function corkUntilNextTick(session: smpp.Session): void {
  const socket = session.socket;
  if (socket.writableCorked > 0) return;
  socket.cork();
  process.nextTick(() => socket.uncork());
}
