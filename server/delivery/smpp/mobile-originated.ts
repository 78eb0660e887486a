import { ESM_CLASS_TYPE_MASK } from "./protocol";
import type { ReceiptPduFields } from "./receipts";

/** A message a handset sent (deliver_sm of the default message type): a reply, a STOP. */
export type InboundSms = {
  /** The handset's number as the carrier wrote it (source_addr). */
  from: string;
  /** The address it was sent to: one of the clients' numbers, short codes or sender ids (destination_addr). */
  to: string;
  text: string;
};

/**
 * A mobile-originated deliver_sm (esm_class message type 0: not a receipt, not an intermediate notification) as an
 * InboundSms. Null for another type, for binary content (a data_coding the decoder left as bytes) and for a PDU
 * without a sender or recipient. Each segment of a concatenated reply comes as its own message.
 */
export function parseMobileOriginated(pdu: ReceiptPduFields): InboundSms | null {
  if (typeof pdu.esm_class !== "number" || (pdu.esm_class & ESM_CLASS_TYPE_MASK) !== 0) return null;
  const from = typeof pdu.source_addr === "string" ? pdu.source_addr.trim() : "";
  const to = typeof pdu.destination_addr === "string" ? pdu.destination_addr.trim() : "";
  if (!from || !to) return null;
  const text = textOf(pdu.short_message) ?? textOf(pdu.message_payload);
  if (text === null) return null;
  return { from, to, text };
}

function textOf(field: unknown): string | null {
  if (typeof field === "string") return field;
  if (field && typeof field === "object" && "message" in field) {
    const message = (field as { message: unknown }).message;
    // Decoded by data_coding (GSM 7-bit, Latin-1, UCS-2); bytes mean a coding with no text (binary, WAP push).
    if (typeof message === "string") return message;
  }
  return null;
}
