import type { Socket } from "node:net";
import smpp from "smpp";
import { VOLLEY_MESSAGE_ID_TLV } from "./protocol";

// The four PDUs a message costs on an SMPP link (submit_sm and its resp, the receipt's deliver_sm and its resp),
// encoded and decoded here instead of by `smpp`'s generic PDU class, on both sides of the link (Volley's client and
// its SMSC simulator). The package walks every property of a dictionary-mode object through filters on each encode
// and decode, copies every incoming PDU once more to frame it, and rebuilds its GSM-7 tables on every text: that was
// most of the CPU either process spent on the wire. Everything else (binds, enquire_link, unbind, generic_nack, and
// any hot PDU with a parameter or TLV this file does not know) still goes through the package, and what comes out of
// here is field for field what the package would give (wire.test.ts compares them both ways).

const MAX_PDU_LENGTH = 16_384; // smpp's PDU.maxLength
const HEADER_LENGTH = 16;
const RESPONSE_BIT = 0x80000000;

const COMMAND_ID = {
  submit_sm: 0x00000004,
  submit_sm_resp: 0x80000004,
  deliver_sm: 0x00000005,
  deliver_sm_resp: 0x80000005,
} as const;
type HotCommand = keyof typeof COMMAND_ID;
const COMMAND_BY_ID = new Map<number, HotCommand>(
  Object.entries(COMMAND_ID).map(([name, id]) => [id, name as HotCommand]),
);

type ParamType = "int8" | "cstring" | "buffer";
/** The mandatory parameters of submit_sm and deliver_sm (SMPP v3.4 §4.4.1, §4.6.1), in wire order. */
const SM_PARAMS: readonly (readonly [string, ParamType])[] = [
  ["service_type", "cstring"],
  ["source_addr_ton", "int8"],
  ["source_addr_npi", "int8"],
  ["source_addr", "cstring"],
  ["dest_addr_ton", "int8"],
  ["dest_addr_npi", "int8"],
  ["destination_addr", "cstring"],
  ["esm_class", "int8"],
  ["protocol_id", "int8"],
  ["priority_flag", "int8"],
  ["schedule_delivery_time", "cstring"],
  ["validity_period", "cstring"],
  ["registered_delivery", "int8"],
  ["replace_if_present_flag", "int8"],
  ["data_coding", "int8"],
  ["sm_default_msg_id", "int8"],
  ["short_message", "buffer"],
];
const SM_PARAM_TYPES = new Map(SM_PARAMS);
const SM_PARAM_NAMES = new Set(SM_PARAM_TYPES.keys());
/** Parameters the package passes through a time filter: handled here only when empty. */
const TIME_PARAMS = new Set(["schedule_delivery_time", "validity_period"]);

type TlvType = "int8" | "cstring" | "string" | "buffer";
/** The TLVs Volley's traffic carries, typed as the package types them. */
const TLVS: Record<string, { id: number; type: TlvType }> = {
  volley_message_id: { id: VOLLEY_MESSAGE_ID_TLV, type: "string" },
  message_payload: { id: 0x0424, type: "buffer" },
  receipted_message_id: { id: 0x001e, type: "cstring" },
  message_state: { id: 0x0427, type: "int8" },
  network_error_code: { id: 0x0423, type: "buffer" },
};
const TLV_BY_ID = new Map(Object.entries(TLVS).map(([name, t]) => [t.id, { name, type: t.type }]));

/** What `Session.send` needs of a PDU. */
export type OutgoingPdu = { sequence_number: number; isResponse(): boolean; toBuffer(): Buffer };

/** A PDU encoded ahead of sending: the session stamps the sequence number into it when it goes out. */
export class EncodedPdu implements OutgoingPdu {
  constructor(
    readonly command: string,
    readonly command_id: number,
    readonly command_status: number,
    public sequence_number: number,
    private readonly buffer: Buffer,
  ) {}

  isResponse(): boolean {
    return (this.command_id & RESPONSE_BIT) !== 0;
  }

  toBuffer(): Buffer {
    this.buffer.writeUInt32BE(this.sequence_number, 12);
    return this.buffer;
  }
}

/** submit_sm_resp / deliver_sm_resp: header only when refused (as the package sends it), else a message_id. */
export function encodeResponse(command: HotCommand, sequence: number, status: number, messageId = ""): EncodedPdu {
  const length = status === 0 ? HEADER_LENGTH + messageId.length + 1 : HEADER_LENGTH;
  const buffer = Buffer.allocUnsafe(length);
  buffer.writeUInt32BE(length, 0);
  buffer.writeUInt32BE(COMMAND_ID[command] >>> 0, 4);
  buffer.writeUInt32BE(status, 8);
  buffer.writeUInt32BE(sequence, 12);
  if (status === 0) {
    buffer.write(messageId, HEADER_LENGTH, "latin1");
    buffer[length - 1] = 0;
  }
  return new EncodedPdu(command, COMMAND_ID[command], status, sequence, buffer);
}

/**
 * A submit_sm or deliver_sm from the same fields `new smpp.PDU(command, fields)` takes. Fields this file does not
 * know (another TLV, a text to be encoded by the package, a validity period) make it the package's PDU instead.
 */
export function encodeSm(command: "submit_sm" | "deliver_sm", fields: Record<string, unknown>): OutgoingPdu {
  let length = HEADER_LENGTH;
  for (const key in fields) {
    const value = fields[key];
    if (SM_PARAM_NAMES.has(key)) {
      if (value === undefined || value === null) continue;
      if (!paramValueFits(key, value)) return new smpp.PDU(command, fields);
      continue;
    }
    const tlv = TLVS[key];
    if (!tlv || !tlvValueFits(tlv.type, value)) return new smpp.PDU(command, fields);
    length += 4 + tlvSize(tlv.type, value);
  }
  for (const [name, type] of SM_PARAMS) length += paramSize(type, fields[name]);
  if (length > MAX_PDU_LENGTH) return new smpp.PDU(command, fields);

  const buffer = Buffer.allocUnsafe(length);
  buffer.writeUInt32BE(length, 0);
  buffer.writeUInt32BE(COMMAND_ID[command], 4);
  buffer.writeUInt32BE(0, 8);
  buffer.writeUInt32BE(0, 12);
  let offset = HEADER_LENGTH;
  for (const [name, type] of SM_PARAMS) offset = writeParam(buffer, offset, type, fields[name]);
  for (const key in fields) {
    const tlv = TLVS[key];
    if (!tlv || SM_PARAM_NAMES.has(key)) continue;
    const value = fields[key];
    const size = tlvSize(tlv.type, value);
    buffer.writeUInt16BE(tlv.id, offset);
    buffer.writeUInt16BE(size, offset + 2);
    offset = writeTlvValue(buffer, offset + 4, tlv.type, value);
  }
  return new EncodedPdu(command, COMMAND_ID[command], 0, 0, buffer);
}

function paramValueFits(name: string, value: unknown): boolean {
  if (TIME_PARAMS.has(name)) return value === "";
  const type = SM_PARAM_TYPES.get(name);
  if (type === "int8") return typeof value === "number";
  if (type === "cstring") return typeof value === "string";
  return Buffer.isBuffer(value) && value.length <= 255;
}

function tlvValueFits(type: TlvType, value: unknown): boolean {
  if (type === "int8") return typeof value === "number";
  if (type === "buffer") return Buffer.isBuffer(value);
  return typeof value === "string";
}

function tlvSize(type: TlvType, value: unknown): number {
  if (type === "int8") return 1;
  if (type === "cstring") return (value as string).length + 1;
  return (value as string | Buffer).length;
}

function paramSize(type: ParamType, value: unknown): number {
  if (type === "int8") return 1;
  if (type === "cstring") return typeof value === "string" ? value.length + 1 : 1;
  return Buffer.isBuffer(value) ? value.length + 1 : 1;
}

function writeParam(buffer: Buffer, offset: number, type: ParamType, value: unknown): number {
  if (type === "int8") {
    buffer[offset] = typeof value === "number" ? value : 0;
    return offset + 1;
  }
  if (type === "cstring") {
    const text = typeof value === "string" ? value : "";
    buffer.write(text, offset, "latin1");
    buffer[offset + text.length] = 0;
    return offset + text.length + 1;
  }
  const bytes = Buffer.isBuffer(value) ? value : EMPTY;
  buffer[offset] = bytes.length;
  bytes.copy(buffer, offset + 1);
  return offset + 1 + bytes.length;
}

function writeTlvValue(buffer: Buffer, offset: number, type: TlvType, value: unknown): number {
  if (type === "int8") {
    buffer[offset] = value as number;
    return offset + 1;
  }
  if (type === "buffer") {
    (value as Buffer).copy(buffer, offset);
    return offset + (value as Buffer).length;
  }
  const text = value as string;
  buffer.write(text, offset, "latin1");
  if (type === "string") return offset + text.length;
  buffer[offset + text.length] = 0;
  return offset + text.length + 1;
}

const EMPTY = Buffer.alloc(0);

/** The answers of the hot requests are built here too; anything else is the package's. */
const decodedPrototype: object = Object.create(smpp.PDU.prototype, {
  response: {
    value(this: smpp.PDU, options?: Record<string, unknown>): OutgoingPdu {
      const command = this.command;
      if (
        (command === "submit_sm" || command === "deliver_sm") &&
        (!options || Object.keys(options).every((k) => k === "command_status" || k === "message_id")) &&
        (options?.message_id === undefined || typeof options.message_id === "string")
      ) {
        const status = typeof options?.command_status === "number" ? options.command_status : 0;
        return encodeResponse(`${command}_resp`, this.sequence_number, status, options?.message_id as string);
      }
      return smpp.PDU.prototype.response.call(this, options);
    },
  },
});

// Decoded PDUs are built by these constructors, every field they can carry declared up front (undefined when absent),
// so each is one object of one fixed shape. Built by adding properties one by one to Object.create(prototype), a
// deliver_sm passed V8's limit of properties added by name at run time and became a dictionary: 3.2 µs and 2.3 KB
// per decoded receipt.
const DecodedResp = function (this: Record<string, unknown>) {
  this.command_length = 0;
  this.command_id = 0;
  this.command_status = 0;
  this.sequence_number = 0;
  this.command = "";
  this.message_id = undefined;
} as unknown as new () => object;
DecodedResp.prototype = decodedPrototype;

const DecodedSm = function (this: Record<string, unknown>) {
  this.command_length = 0;
  this.command_id = 0;
  this.command_status = 0;
  this.sequence_number = 0;
  this.command = "";
  this.service_type = undefined;
  this.source_addr_ton = undefined;
  this.source_addr_npi = undefined;
  this.source_addr = undefined;
  this.dest_addr_ton = undefined;
  this.dest_addr_npi = undefined;
  this.destination_addr = undefined;
  this.esm_class = undefined;
  this.protocol_id = undefined;
  this.priority_flag = undefined;
  this.schedule_delivery_time = undefined;
  this.validity_period = undefined;
  this.registered_delivery = undefined;
  this.replace_if_present_flag = undefined;
  this.data_coding = undefined;
  this.sm_default_msg_id = undefined;
  this.short_message = undefined;
  this.volley_message_id = undefined;
  this.message_payload = undefined;
  this.receipted_message_id = undefined;
  this.message_state = undefined;
  this.network_error_code = undefined;
} as unknown as new () => object;
DecodedSm.prototype = decodedPrototype;

/** One whole PDU (its first four octets are its length) as the package would decode it. */
export function decodePdu(buffer: Buffer): smpp.PDU {
  const command = COMMAND_BY_ID.get(buffer.readUInt32BE(4));
  const fast = command ? decodeHot(command, buffer) : null;
  // The package keeps the buffer's memory: give it a copy, since a framed PDU is a view of the socket's chunk.
  return fast ?? new smpp.PDU(Buffer.from(buffer));
}

function decodeHot(command: HotCommand, buffer: Buffer): smpp.PDU | null {
  const length = buffer.length;
  const isResp = command === "submit_sm_resp" || command === "deliver_sm_resp";
  const pdu = (isResp ? new DecodedResp() : new DecodedSm()) as unknown as smpp.PDU;
  pdu.command_length = length;
  pdu.command_id = COMMAND_ID[command];
  pdu.command_status = buffer.readUInt32BE(8);
  pdu.sequence_number = buffer.readUInt32BE(12);
  pdu.command = command;
  if (isResp) {
    if (length === HEADER_LENGTH) return pdu;
    const end = buffer.indexOf(0, HEADER_LENGTH);
    // A message_id without its terminator, or anything after it (TLVs): the package's own reading.
    if (end !== length - 1) return null;
    pdu.message_id = buffer.toString("ascii", HEADER_LENGTH, end);
    return pdu;
  }
  let offset = HEADER_LENGTH;
  for (const [name, type] of SM_PARAMS) {
    if (offset >= length) return null;
    if (type === "int8") {
      pdu[name] = buffer[offset++];
    } else if (type === "cstring") {
      const end = buffer.indexOf(0, offset);
      if (end < 0 || end >= length) return null;
      if (end > offset && TIME_PARAMS.has(name)) return null;
      pdu[name] = buffer.toString("ascii", offset, end);
      offset = end + 1;
    } else {
      const size = buffer[offset]!;
      if (offset + 1 + size > length) return null;
      pdu[name] = buffer.subarray(offset + 1, offset + 1 + size);
      offset += 1 + size;
    }
  }
  while (offset < length) {
    if (offset + 4 > length) return null;
    const tlv = TLV_BY_ID.get(buffer.readUInt16BE(offset));
    const size = buffer.readUInt16BE(offset + 2);
    offset += 4;
    if (!tlv || offset + size > length || pdu[tlv.name] !== undefined) return null;
    if (tlv.type === "int8") {
      if (size < 1) return null;
      pdu[tlv.name] = buffer[offset];
    } else if (tlv.type === "buffer") {
      pdu[tlv.name] = buffer.subarray(offset, offset + size);
    } else {
      let end = offset + size;
      if (tlv.type === "cstring") {
        // The package reads a C string up to its terminator wherever that is: one missing from the TLV is its call.
        end = buffer.indexOf(0, offset);
        if (end < 0 || end >= offset + size) return null;
      }
      pdu[tlv.name] = buffer.toString("ascii", offset, end);
    }
    offset += size;
  }
  const short = decodeText(pdu, pdu.short_message as Buffer, false);
  if (!short) return null;
  pdu.short_message = short;
  if (pdu.message_payload !== undefined) {
    const payload = decodeText(pdu, pdu.message_payload as Buffer, short.message.length > 0);
    if (!payload) return null;
    pdu.message_payload = payload;
  }
  if (pdu.network_error_code !== undefined) pdu.network_error_code = Buffer.from(pdu.network_error_code as Buffer);
  return pdu;
}

type DecodedText = { udh?: Buffer[]; message: string | Buffer };

/**
 * The package's message filter: a UDH (when esm_class says so) split into its elements, the text decoded by
 * data_coding. The default alphabet is decoded here with tables built once; other codings by the package.
 */
function decodeText(pdu: smpp.PDU, value: Buffer, skipUdh: boolean): DecodedText | null {
  const result = decodeTextInPlace(pdu, value, skipUdh);
  // What is kept of a PDU must not pin the socket's chunk it was cut from: the parts still viewing it are copied.
  if (result?.udh) result.udh = result.udh.map((ie) => Buffer.from(ie));
  if (result && Buffer.isBuffer(result.message)) result.message = Buffer.from(result.message);
  return result;
}

function decodeTextInPlace(pdu: smpp.PDU, value: Buffer, skipUdh: boolean): DecodedText | null {
  const dataCoding = pdu.data_coding as number;
  if ((dataCoding & 0x0f) !== 0) return smpp.filters.message.decode.call(pdu, value, skipUdh) as DecodedText;
  const result: DecodedText = { message: value };
  if (!skipUdh && value.length > 0 && ((pdu.esm_class as number) & 0x40) !== 0) {
    result.udh = splitUdh(value.subarray(0, value[0]! + 1));
    result.message = value.subarray(value[0]! + 1);
    // National language shift tables: rare enough to leave to the package.
    if (result.udh.some((ie) => ie[0] === 0x24 || ie[0] === 0x25)) return null;
  }
  result.message = decodeGsm7(result.message as Buffer);
  return result;
}

function splitUdh(buffer: Buffer): Buffer[] {
  if (buffer.length <= 1) return [];
  const list: Buffer[] = [];
  let cursor = 1;
  do {
    const size = buffer[cursor + 1]! + 2;
    list.push(buffer.subarray(cursor, cursor + size));
    cursor += size;
  } while (cursor < buffer.length);
  return list;
}

let gsm7: { chars: string[]; sameAsLatin1: Uint8Array; escape: RegExp; extension: Record<string, string> } | undefined;

/** smpp's gsmCoder.decode(bytes, 0), with its tables and pattern made once instead of on every call. */
export function decodeGsm7(bytes: Buffer): string {
  if (!gsm7) {
    const coder = smpp.gsmCoder.getCoder(0x00);
    const chars: string[] = [];
    for (let i = 0; i < 256; i++) chars.push(coder.charListDec[i] || " ");
    // Letters, digits, space and most punctuation are the same octet in both alphabets.
    const sameAsLatin1 = new Uint8Array(256);
    for (let i = 0; i < 256; i++) sameAsLatin1[i] = chars[i] === String.fromCharCode(i) ? 1 : 0;
    // ESC starts a two-octet character of the extension table.
    sameAsLatin1[0x1b] = 0;
    const escChars = coder.escCharsDec ?? coder.escChars;
    gsm7 = {
      chars,
      sameAsLatin1,
      escape: new RegExp("\x1B([" + escChars + "])", "g"),
      extension: coder.extCharListDec,
    };
  }
  const { chars, sameAsLatin1, escape, extension } = gsm7;
  let same = true;
  for (let i = 0; i < bytes.length && same; i++) same = sameAsLatin1[bytes[i]!] === 1;
  // Most texts (every receipt) are all such octets: one string made at once, not one per character.
  if (same) return bytes.toString("latin1");
  let text = "";
  for (let i = 0; i < bytes.length; i++) text += chars[bytes[i]!];
  return text.indexOf("\x1B") < 0 ? text : text.replace(escape, (_, c: string) => extension[c]!);
}

/**
 * smpp's Session with its own framing: it reads what the socket has in one go and cuts PDUs out of it without copying
 * (the package reads the length, then the body, then joins both into a new buffer), and decodes them with decodePdu.
 * Same events, same callbacks.
 */
export class SmppSession extends smpp.Session {
  private pending: Buffer = EMPTY;

  constructor(options: { socket: Socket } | { host: string; port: number }) {
    super(options);
  }

  override _extractPDUs(): void {
    if (this._busy) return;
    this._busy = true;
    try {
      for (;;) {
        while (!this.paused && this.pending.length >= 4) {
          const length = this.pending.readUInt32BE(0);
          if (length > MAX_PDU_LENGTH || length < HEADER_LENGTH) {
            this.pending = EMPTY;
            this.emit("error", new Error(`PDU length was out of range (${length}, maximum is ${MAX_PDU_LENGTH}).`));
            this.socket.destroy();
            return;
          }
          if (this.pending.length < length) break;
          const frame = this.pending.subarray(0, length);
          this.pending = this.pending.length === length ? EMPTY : this.pending.subarray(length);
          this.dispatch(frame);
        }
        if (this.paused) return;
        const chunk = this.socket.read() as Buffer | null;
        if (!chunk) return;
        this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
      }
    } finally {
      this._busy = false;
    }
  }

  private dispatch(frame: Buffer): void {
    let pdu: smpp.PDU;
    try {
      pdu = decodePdu(frame);
    } catch (err) {
      this.emit("error", err);
      return;
    }
    this.emit("pdu", pdu);
    this.emit(pdu.command, pdu);
    if (pdu.isResponse()) {
      const callback = this._callbacks[pdu.sequence_number];
      if (callback) {
        delete this._callbacks[pdu.sequence_number];
        callback(pdu);
      }
    }
  }
}
