import { ESM_CLASS_DELIVERY_RECEIPT, ESM_CLASS_TYPE_MASK, MESSAGE_STATE } from "./protocol";

export type ReceiptStatus = "DELIVERED" | "UNDELIVERABLE" | "EXPIRED" | "REJECTED";

export type DeliveryReceipt = {
  providerMessageId: string;
  status: ReceiptStatus;
  /** The carrier's error code as it sent it (`err:` field or network_error_code), "000" when none. */
  errorCode: string;
  /** The handset the message went to (deliver_sm source_addr), when the carrier says: resolves UNCONFIRMED submissions. */
  recipient?: string;
};

const STATUS_BY_STATE: Record<number, ReceiptStatus | null> = {
  [MESSAGE_STATE.DELIVERED]: "DELIVERED",
  [MESSAGE_STATE.EXPIRED]: "EXPIRED",
  // A deleted or unknown message will not be delivered any more: final, as a failure.
  [MESSAGE_STATE.DELETED]: "UNDELIVERABLE",
  [MESSAGE_STATE.UNDELIVERABLE]: "UNDELIVERABLE",
  [MESSAGE_STATE.UNKNOWN]: "UNDELIVERABLE",
  [MESSAGE_STATE.REJECTED]: "REJECTED",
  // Intermediate notifications (registered_delivery 0x10): not a final status.
  [MESSAGE_STATE.ENROUTE]: null,
  [MESSAGE_STATE.ACCEPTED]: null,
};

const STATUS_BY_STAT: Record<string, ReceiptStatus | null> = {
  DELIVRD: "DELIVERED",
  DELIVERED: "DELIVERED",
  EXPIRED: "EXPIRED",
  DELETED: "UNDELIVERABLE",
  UNDELIV: "UNDELIVERABLE",
  UNDELIVERABLE: "UNDELIVERABLE",
  UNKNOWN: "UNDELIVERABLE",
  REJECTD: "REJECTED",
  REJECTED: "REJECTED",
  ENROUTE: null,
  ACCEPTD: null,
  ACCEPTED: null,
};

export type ParsedReceiptText = { id: string; stat: string; err: string | null };

/**
 * Parses `id:… sub:… dlvrd:… submit date:… done date:… stat:… err:… text:…`. Carriers vary: field case, missing
 * fields and the order after `id` all differ, so each field is looked up on its own.
 */
export function parseReceiptText(text: string): ParsedReceiptText | null {
  const id = /(?:^|\s)id:\s*([^\s]+)/i.exec(text)?.[1];
  const stat = /(?:^|\s)stat:\s*([A-Za-z_]+)/i.exec(text)?.[1];
  if (!id || !stat) return null;
  const err = /(?:^|\s)err:\s*([0-9A-Za-z]+)/i.exec(text)?.[1] ?? null;
  return { id, stat: stat.toUpperCase(), err };
}

/** The fields of a deliver_sm as `smpp` decodes them (TLVs by name, short_message as `{ message }`). */
export type ReceiptPduFields = Readonly<Record<string, unknown>>;

function messageText(field: unknown): string {
  if (typeof field === "string") return field;
  if (Buffer.isBuffer(field)) return field.toString("latin1");
  if (field && typeof field === "object" && "message" in field) return messageText(field.message);
  return "";
}

export function isReceipt(pdu: ReceiptPduFields): boolean {
  return typeof pdu.esm_class === "number" && (pdu.esm_class & ESM_CLASS_TYPE_MASK) === ESM_CLASS_DELIVERY_RECEIPT;
}

/**
 * A deliver_sm receipt as a final status. The TLVs (receipted_message_id, message_state) win when present; the text
 * fills in what they lack. Null for a receipt that is not final or cannot be read.
 */
export function parseReceipt(pdu: ReceiptPduFields): DeliveryReceipt | null {
  const parsed = parseReceiptText(messageText(pdu.short_message) || messageText(pdu.message_payload));
  const tlvId =
    typeof pdu.receipted_message_id === "string" && pdu.receipted_message_id ? pdu.receipted_message_id : null;
  const providerMessageId = tlvId ?? parsed?.id;
  if (!providerMessageId) return null;

  let status: ReceiptStatus | null | undefined;
  if (typeof pdu.message_state === "number" && pdu.message_state in STATUS_BY_STATE) {
    status = STATUS_BY_STATE[pdu.message_state];
  } else if (parsed) {
    status = STATUS_BY_STAT[parsed.stat];
  }
  if (!status) return null;

  let errorCode = parsed?.err ?? null;
  // network_error_code: 1 octet network type, 2 octets error code.
  if (errorCode === null && Buffer.isBuffer(pdu.network_error_code) && pdu.network_error_code.length >= 3) {
    errorCode = String(pdu.network_error_code.readUInt16BE(1)).padStart(3, "0");
  }
  const source = typeof pdu.source_addr === "string" ? pdu.source_addr.replace(/^\+/, "") : "";
  return {
    providerMessageId,
    status,
    errorCode: errorCode ?? "000",
    ...(/^\d{4,20}$/.test(source) ? { recipient: `+${source}` } : {}),
  };
}
