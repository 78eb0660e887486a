import { MESSAGE_STATE } from "@/server/delivery/smpp/protocol";

export type ReceiptOutcome = { stat: string; state: number; err: string };
export type Outcome = { reject: true } | ({ reject: false } & ReceiptOutcome);

export const DELIVERED: ReceiptOutcome = { stat: "DELIVRD", state: MESSAGE_STATE.DELIVERED, err: "000" };
export const UNDELIVERABLE: ReceiptOutcome = { stat: "UNDELIV", state: MESSAGE_STATE.UNDELIVERABLE, err: "001" };
export const EXPIRED: ReceiptOutcome = { stat: "EXPIRED", state: MESSAGE_STATE.EXPIRED, err: "002" };
export const REJECTED: ReceiptOutcome = { stat: "REJECTD", state: MESSAGE_STATE.REJECTED, err: "004" };

/**
 * Test numbers whose outcome never depends on the ratios (documented in the README):
 * …0001 UNDELIV err:001, …0002 EXPIRED err:002, …0003 submit_sm refused with ESME_RSUBMITFAIL, …0004 REJECTD err:004.
 */
const BY_SUFFIX: Record<string, Outcome> = {
  "0001": { reject: false, ...UNDELIVERABLE },
  "0002": { reject: false, ...EXPIRED },
  "0003": { reject: true },
  "0004": { reject: false, ...REJECTED },
};

/**
 * A uniform number in [0, 1) from the key, so a rerun with the same message ids gives the same outcomes: FNV-1a over
 * its UTF-16 code units, then murmur3's finalizer so that ids differing in one character land far apart. Not a
 * cryptographic hash (sha1 was, at a cost of a hash object per submit_sm), and none is needed to draw outcomes.
 */
export function unitHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 2 ** 32;
}

export function decideOutcome(
  destination: string,
  key: string,
  ratios: { undeliverable: number; expired: number },
): Outcome {
  const fixed = BY_SUFFIX[destination.slice(-4)];
  if (fixed) return fixed;
  const u = unitHash(key);
  if (u < ratios.undeliverable) return { reject: false, ...UNDELIVERABLE };
  if (u < ratios.undeliverable + ratios.expired) return { reject: false, ...EXPIRED };
  return { reject: false, ...DELIVERED };
}

/** registered_delivery bits 0–1: 01 every final outcome, 10 failures only, 11 successes only (v5 meaning). */
export function wantsReceipt(registeredDelivery: number, outcome: ReceiptOutcome): boolean {
  const mode = registeredDelivery & 0x03;
  const delivered = outcome.state === MESSAGE_STATE.DELIVERED;
  return mode === 1 || (mode === 2 && !delivered) || (mode === 3 && delivered);
}
