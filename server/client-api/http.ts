import type { Logger } from "pino";
import { AppError } from "../errors";
import { RateLimited } from "./rate-limit";

// Every client API response is JSON and never cached; every error has the
// same body, { "error": { "code", "message" } }, whatever went wrong.

const NO_STORE = { "cache-control": "no-store" };

export function jsonOk(body: unknown, status = 200): Response {
  return Response.json(body, { status, headers: NO_STORE });
}

export function jsonError(
  code: string,
  message: string,
  status: number,
  fields?: Record<string, string[] | undefined>,
): Response {
  const headers: Record<string, string> = { ...NO_STORE };
  // RFC 6750: a 401 names the scheme the client should use.
  if (status === 401) headers["www-authenticate"] = 'Bearer realm="volley"';
  return Response.json({ error: { code, message, ...(fields ? { fields } : {}) } }, { status, headers });
}

/** Domain errors keep their code and message; anything else is logged and becomes a bare 500. */
export function errorResponse(err: unknown, log: Logger, what: string): Response {
  if (err instanceof RateLimited) {
    const response = jsonError(err.code, err.message, err.httpStatus);
    response.headers.set("retry-after", String(Math.max(1, Math.ceil(err.retryAfterMs / 1000))));
    return response;
  }
  if (err instanceof AppError && err.code !== "INTERNAL") return jsonError(err.code, err.message, err.httpStatus);
  log.error({ err }, `${what} failed`);
  return jsonError("INTERNAL", "Internal error", 500);
}
