import { createHash } from "node:crypto";
import { z } from "zod";
import { checkFields } from "@/server/kafka/field-checks";
import { encodeGsm7, encodeUcs2, gsm7Septets, splitForConcatenation, type Encoding } from "@/server/messages/encoding";
import { concatenationUdh, DATA_CODING, ESM_CLASS_UDHI } from "./protocol";

/** A message as bulk-proc hands it to a provider; checked on every submit, its bounds in one pass (field-checks.ts). */
export const outboundSmsSchema = z
  .object({
    /** Volley message id: sent in TLV 0x1401 so the carrier (and the simulator) can tell resubmissions apart. */
    id: z.string(),
    from: z.string(),
    /** E.164, with or without the leading "+". */
    to: z.string(),
    text: z.string(),
    /** As decided by the validator; worked out from the text when absent. */
    encoding: z.enum(["GSM7", "UCS2"]).optional(),
    /** High lane (one-time codes): goes ahead of ordinary messages queued on the provider. */
    urgent: z.boolean().optional(),
  })
  .check(
    checkFields({
      text: [
        ["id", 1, 250],
        ["from", 1, 20],
      ],
      patterns: [["to", /^\+?\d{4,20}$/, "must be a phone number (4 to 20 digits, + allowed first)"]],
    }),
  );
export type OutboundSms = z.infer<typeof outboundSmsSchema>;

export type SubmitOptions = { useMessagePayload: boolean; registeredDelivery: boolean };

/** submit_sm fields for `new smpp.PDU("submit_sm", fields)`. */
export type SubmitFields = Record<string, unknown>;

const TON = { UNKNOWN: 0, INTERNATIONAL: 1, ALPHANUMERIC: 5 } as const;
const NPI = { UNKNOWN: 0, ISDN: 1 } as const;

type SourceAddress = { ton: number; npi: number; addr: string };

function sourceAddress(from: string): SourceAddress {
  const digits = from.startsWith("+") ? from.slice(1) : from;
  if (!/^\d+$/.test(digits)) return { ton: TON.ALPHANUMERIC, npi: NPI.UNKNOWN, addr: from };
  // Short codes have no country code; long numbers are international E.164.
  if (digits.length <= 8) return { ton: TON.UNKNOWN, npi: NPI.ISDN, addr: digits };
  return { ton: TON.INTERNATIONAL, npi: NPI.ISDN, addr: digits };
}

/**
 * One segment's fields, as one object literal: built per segment of every message, and an object spread of the
 * shared fields cost several times the rest of the encoding.
 */
function segmentFields(
  sms: OutboundSms,
  source: SourceAddress,
  registeredDelivery: number,
  dataCoding: number,
  esmClass: number,
  shortMessage: Buffer,
  messagePayload?: Buffer,
): SubmitFields {
  const fields: SubmitFields = {
    source_addr_ton: source.ton,
    source_addr_npi: source.npi,
    source_addr: source.addr,
    dest_addr_ton: TON.INTERNATIONAL,
    dest_addr_npi: NPI.ISDN,
    destination_addr: sms.to.startsWith("+") ? sms.to.slice(1) : sms.to,
    registered_delivery: registeredDelivery,
    data_coding: dataCoding,
    volley_message_id: sms.id,
    esm_class: esmClass,
    short_message: shortMessage,
  };
  if (messagePayload) fields.message_payload = messagePayload;
  return fields;
}

/**
 * The 8-bit concatenation reference, derived from the Volley id so that a retried message carries the same reference
 * as its first attempt (a handset joins parts by sender + reference).
 */
export function concatenationRef(messageId: string): number {
  return createHash("sha1").update(messageId).digest()[0]!;
}

function encodeText(text: string, encoding: Encoding): Buffer {
  return encoding === "GSM7" ? encodeGsm7(text) : encodeUcs2(text);
}

/**
 * One submit_sm per segment. GSM-7 goes unpacked (one septet per octet, data_coding 0x00) as SMPP expects; UCS-2 as
 * UTF-16BE (0x08). Long texts are split by server/messages/encoding.ts — the same split that counted (and billed) the
 * segments — each part prefixed with the UDH 05 00 03 ref total seq and flagged with esm_class 0x40; or, for a
 * provider configured for it, sent whole in one message_payload TLV.
 */
export function buildSubmitParts(sms: OutboundSms, opts: SubmitOptions): SubmitFields[] {
  const encoding: Encoding = sms.encoding ?? (gsm7Septets(sms.text) === null ? "UCS2" : "GSM7");
  const source = sourceAddress(sms.from);
  const receipt = opts.registeredDelivery ? 0x01 : 0x00;
  const coding = DATA_CODING[encoding];
  if (opts.useMessagePayload) {
    // short_message must be empty when message_payload is used (SMPP v3.4 §5.3.2.32).
    return [segmentFields(sms, source, receipt, coding, 0, Buffer.alloc(0), encodeText(sms.text, encoding))];
  }
  const parts = splitForConcatenation(sms.text, encoding);
  if (parts.length === 1) return [segmentFields(sms, source, receipt, coding, 0, encodeText(sms.text, encoding))];
  const ref = concatenationRef(sms.id);
  const fields: SubmitFields[] = [];
  for (let i = 0; i < parts.length; i++) {
    // A Buffer passes through smpp's message filter untouched, so what is built here is exactly what is sent.
    const udhAndText = Buffer.concat([concatenationUdh(ref, parts.length, i + 1), encodeText(parts[i]!, encoding)]);
    fields.push(segmentFields(sms, source, receipt, coding, ESM_CLASS_UDHI, udhAndText));
  }
  return fields;
}
