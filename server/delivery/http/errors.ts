import type { FailureKind } from "../smpp/errors";

// What an HTTP answer (or the lack of one) means for the message, with the same vocabulary as the SMPP client:
// transient failures go back to bulk-proc (retry later or fail over), permanent ones fail the message with the
// reason, and `mayHaveBeenSent` says whether resubmitting could deliver it twice.

export type HttpClassification =
  { outcome: "throttled" } | { outcome: "failed"; kind: FailureKind; reason: string; mayHaveBeenSent: boolean };

/** A non-2xx response. */
export function classifyHttpStatus(status: number): HttpClassification {
  if (status === 429) return { outcome: "throttled" };
  const reason = `HTTP_${status}`;
  // 502 and 504 come from a gateway in front of the provider: the provider itself may have taken the message and its
  // answer been lost on the way back, like an SMPP response timeout.
  if (status === 502 || status === 504) return { outcome: "failed", kind: "transient", reason, mayHaveBeenSent: true };
  if (status >= 500) return { outcome: "failed", kind: "transient", reason, mayHaveBeenSent: false };
  // 408: the server gave up waiting for our request, so it did not process it; sending again is the remedy.
  if (status === 408) return { outcome: "failed", kind: "transient", reason, mayHaveBeenSent: false };
  // Other 4xx (and 3xx, which are not followed: a redirected POST turns into a GET) are about the request or the
  // configuration; sending it again would get the same answer.
  return { outcome: "failed", kind: "permanent", reason, mayHaveBeenSent: false };
}

/** Errors raised before a byte of the request left this host: the provider certainly did not get the message. */
const NOT_SENT_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
  "UND_ERR_CONNECT_TIMEOUT",
  "CERT_HAS_EXPIRED",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** The system error code of a fetch failure (fetch wraps it in a TypeError's cause chain). */
export function networkErrorCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current && typeof current === "object"; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * A request that got no response. A timeout or a connection lost after connecting may have reached the provider; a
 * refused connection or a failed lookup did not.
 */
export function classifyNetworkError(
  err: unknown,
  timedOut: boolean,
): { kind: "transient"; reason: string; mayHaveBeenSent: boolean; code?: string } {
  if (timedOut) return { kind: "transient", reason: "TIMEOUT", mayHaveBeenSent: true };
  const code = networkErrorCode(err);
  return {
    kind: "transient",
    reason: "NETWORK_ERROR",
    mayHaveBeenSent: !(code && NOT_SENT_CODES.has(code)),
    ...(code ? { code } : {}),
  };
}

/** Retry-After as milliseconds from `now` (delta seconds or an HTTP date), or undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // An HTTP date names its day and month; Date.parse alone would take "-1" as a year.
  if (!/[A-Za-z]{3}/.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
