import { gsm7Septets } from "@/server/messages/encoding";
import type { OutboundSms } from "../smpp/encode";
import type { InboundSms } from "../smpp/mobile-originated";
import type { DeliveryReceipt, ReceiptStatus } from "../smpp/receipts";
import type { HttpProviderSettings } from "./schemas";

// The pure half of the HTTP provider: where our fields go in the request body, where the provider's id and receipt
// fields are in what it sends back.

const UNSAFE_KEYS = new Set(["__proto__", "prototype", "constructor"]);

/** The value at a dotted path (numeric segments index arrays), or undefined. */
export function getPath(value: unknown, path: string): unknown {
  let current = value;
  for (const key of path.split(".")) {
    if (current === null || typeof current !== "object" || UNSAFE_KEYS.has(key)) return undefined;
    if (Array.isArray(current)) {
      if (!/^\d+$/.test(key)) return undefined;
      current = current[Number(key)];
    } else {
      if (!Object.hasOwn(current, key)) return undefined;
      current = (current as Record<string, unknown>)[key];
    }
  }
  return current;
}

/** Writes `value` at a dotted path, creating the objects on the way (a non-object in the way is replaced). */
export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  if (keys.some((k) => UNSAFE_KEYS.has(k))) throw new Error(`unsafe path ${path}`);
  let current = target;
  for (const key of keys.slice(0, -1)) {
    const next = current[key];
    if (next === null || typeof next !== "object" || Array.isArray(next)) current[key] = {};
    current = current[key] as Record<string, unknown>;
  }
  current[keys[keys.length - 1]!] = value;
}

export type BodySettings = Pick<
  HttpProviderSettings,
  "fieldMapping" | "numberFormat" | "encodingValues" | "staticFields"
>;

/** The JSON body for one message. The whole text goes in one request: the provider splits it into segments. */
export function buildRequestBody(settings: BodySettings, sms: OutboundSms): Record<string, unknown> {
  // A deep copy, so one message's body never shares objects with the settings or with another message's.
  const body = structuredClone(settings.staticFields) as Record<string, unknown>;
  const digits = sms.to.replace(/^\+/, "");
  const map = settings.fieldMapping;
  setPath(body, map.to, settings.numberFormat === "e164" ? `+${digits}` : digits);
  setPath(body, map.from, sms.from);
  setPath(body, map.text, sms.text);
  if (map.id) setPath(body, map.id, sms.id);
  if (map.encoding) {
    const encoding = sms.encoding ?? (gsm7Septets(sms.text) === null ? "UCS2" : "GSM7");
    setPath(body, map.encoding, settings.encodingValues[encoding]);
  }
  return body;
}

function idString(value: unknown): string | null {
  if (typeof value === "string") return value.trim() || null;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return null;
}

/** The provider's message id in a 2xx response body, or null when the body is not JSON or has no usable id there. */
export function extractResponseId(responseIdPath: string, bodyText: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyText);
  } catch {
    return null;
  }
  return idString(getPath(parsed, responseIdPath));
}

/**
 * The provider's error code in a refusal's body, made safe for a status reason (letters, digits, `_.-`, 64 at
 * most), or null when there is none.
 */
export function extractResponseError(responseErrorPath: string | undefined, bodyText: string): string | null {
  if (!responseErrorPath) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyText);
  } catch {
    return null;
  }
  const code = idString(getPath(parsed, responseErrorPath));
  return code === null ? null : code.replace(/[^A-Za-z0-9_.-]+/g, "_").slice(0, 64);
}

/** Carrier status words every provider is likely to use; the provider's own map is looked up first. */
const BUILT_IN_STATUS: Readonly<Record<string, ReceiptStatus | null>> = {
  DELIVRD: "DELIVERED",
  DELIVERED: "DELIVERED",
  EXPIRED: "EXPIRED",
  DELETED: "UNDELIVERABLE",
  UNDELIV: "UNDELIVERABLE",
  UNDELIVERABLE: "UNDELIVERABLE",
  UNDELIVERED: "UNDELIVERABLE",
  FAILED: "UNDELIVERABLE",
  UNKNOWN: "UNDELIVERABLE",
  REJECTD: "REJECTED",
  REJECTED: "REJECTED",
  ENROUTE: null,
  ACCEPTD: null,
  ACCEPTED: null,
  SENT: null,
  QUEUED: null,
  PENDING: null,
  BUFFERED: null,
};

/**
 * A provider's status value as a final status: a ReceiptStatus, null for an intermediate one (not final, ignored),
 * undefined when neither map knows it.
 */
export function mapReceiptStatus(
  statusMap: Readonly<Record<string, ReceiptStatus | null>>,
  value: string,
): ReceiptStatus | null | undefined {
  const wanted = value.trim().toUpperCase();
  for (const [key, status] of Object.entries(statusMap)) {
    if (key.trim().toUpperCase() === wanted) return status;
  }
  return Object.hasOwn(BUILT_IN_STATUS, wanted) ? BUILT_IN_STATUS[wanted] : undefined;
}

export type ReceiptSettings = Pick<
  HttpProviderSettings,
  | "receiptListPath"
  | "receiptIdPath"
  | "receiptStatusPath"
  | "receiptErrorPath"
  | "receiptRecipientPath"
  | "receiptStatusMap"
>;

export type ParsedReceipts = {
  receipts: DeliveryReceipt[];
  /** Receipts with an intermediate status (null in the map). */
  intermediate: number;
  /** Status values neither map knows, with their receipt's position. */
  unknown: { index: number; status: string }[];
};

/** A webhook body (receipts, replies) that does not fit the provider's mapping: refused whole with this message. */
export class WebhookBodyError extends Error {
  override name = "WebhookBodyError";
}

/** The JSON body's items: one object, an array of them, or the array at `listPath`. */
function webhookItems(bodyText: string, listPath: string | undefined, what: string): { item: object; where: string }[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyText);
  } catch {
    throw new WebhookBodyError("Body is not valid JSON");
  }
  let items: unknown = parsed;
  if (listPath) {
    items = getPath(parsed, listPath);
    if (!Array.isArray(items)) throw new WebhookBodyError(`Expected an array at '${listPath}'`);
  }
  const list = Array.isArray(items) ? items : [items];
  return list.map((item, index) => {
    const where = list === items ? `${what} ${index}` : what;
    if (item === null || typeof item !== "object" || Array.isArray(item)) {
      throw new WebhookBodyError(`${where} is not a JSON object`);
    }
    return { item: item as object, where };
  });
}

/**
 * Receipts from a webhook body: one receipt object, an array of them, or (with receiptListPath) an object holding the
 * array. A receipt without an id or a status means the mapping does not fit what the provider sends, so the whole
 * body is refused (WebhookBodyError) rather than half applied; an unknown status only leaves that receipt out.
 */
export function parseReceiptBody(settings: ReceiptSettings, bodyText: string): ParsedReceipts {
  const out: ParsedReceipts = { receipts: [], intermediate: 0, unknown: [] };
  webhookItems(bodyText, settings.receiptListPath, "Receipt").forEach(({ item, where }, index) => {
    const id = idString(getPath(item, settings.receiptIdPath));
    if (!id) throw new WebhookBodyError(`${where} has no message id at '${settings.receiptIdPath}'`);
    const rawStatus = idString(getPath(item, settings.receiptStatusPath));
    if (!rawStatus) throw new WebhookBodyError(`${where} has no status at '${settings.receiptStatusPath}'`);
    const status = mapReceiptStatus(settings.receiptStatusMap, rawStatus);
    if (status === undefined) {
      out.unknown.push({ index, status: rawStatus });
      return;
    }
    if (status === null) {
      out.intermediate++;
      return;
    }
    const errorCode = settings.receiptErrorPath ? idString(getPath(item, settings.receiptErrorPath)) : null;
    const recipient = settings.receiptRecipientPath
      ? idString(getPath(item, settings.receiptRecipientPath))?.replace(/^\+/, "")
      : undefined;
    out.receipts.push({
      providerMessageId: id,
      status,
      errorCode: errorCode ?? "000",
      // E.164 with its plus, as submissions store it; anything else is not a number to match on.
      ...(recipient && /^\d{4,20}$/.test(recipient) ? { recipient: `+${recipient}` } : {}),
    });
  });
  return out;
}

export type InboundSettings = Pick<
  HttpProviderSettings,
  "inboundListPath" | "inboundFromPath" | "inboundToPath" | "inboundTextPath"
>;

/**
 * Handsets' replies from a webhook body, the same shapes as receipts. One without a number, an address or a text (an
 * empty text is a text) means the mapping does not fit: the whole body is refused.
 */
export function parseInboundBody(settings: InboundSettings, bodyText: string): InboundSms[] {
  return webhookItems(bodyText, settings.inboundListPath, "Reply").map(({ item, where }) => {
    const from = idString(getPath(item, settings.inboundFromPath));
    if (!from) throw new WebhookBodyError(`${where} has no number at '${settings.inboundFromPath}'`);
    const to = idString(getPath(item, settings.inboundToPath));
    if (!to) throw new WebhookBodyError(`${where} has no address at '${settings.inboundToPath}'`);
    const text = getPath(item, settings.inboundTextPath);
    if (typeof text !== "string") throw new WebhookBodyError(`${where} has no text at '${settings.inboundTextPath}'`);
    return { from, to, text };
  });
}
