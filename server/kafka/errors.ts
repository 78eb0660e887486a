// Whether a failure is the infrastructure's (retry the batch, however long it
// takes) or the record's (after a few attempts, dead-letter it so the
// partition keeps flowing).

const TRANSIENT_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
]);

// PostgreSQL SQLSTATE classes and codes that say "try again".
const TRANSIENT_SQLSTATE = [/^08/, /^53/, /^57P0[123]$/, /^40001$/, /^40P01$/, /^55P03$/];

/** Thrown on purpose when work must wait (a rebuild in progress, say): retry the batch later. */
export class TransientError extends Error {
  override name = "TransientError";
}

export function isTransientError(err: unknown): boolean {
  if (err instanceof TransientError) return true;
  if (!(err instanceof Error)) return false;
  const e = err as Error & { code?: unknown; retriable?: boolean; cause?: unknown };
  if (typeof e.code === "string") {
    if (TRANSIENT_CODES.has(e.code)) return true;
    if (TRANSIENT_SQLSTATE.some((re) => re.test(e.code as string))) return true;
  }
  if (e.name.startsWith("KafkaJS") && (e.retriable || /Connection|Timeout|NumberOfRetriesExceeded/.test(e.name))) {
    return true;
  }
  // ioredis gives up on a command while disconnected, or the connection closed under it.
  if (e.name === "MaxRetriesPerRequestError" || /Connection is closed|Stream isn't writeable/.test(e.message))
    return true;
  // pg: the pool could not connect, or the server went away mid-query.
  if (
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(
      e.message,
    )
  ) {
    return true;
  }
  return e.cause !== undefined && e.cause !== err && isTransientError(e.cause);
}
