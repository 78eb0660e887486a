import { describe, expect, it } from "vitest";
import { classifyHttpStatus, classifyNetworkError, networkErrorCode, parseRetryAfter } from "./errors";
import { readPresentedToken, tokensEqual } from "./token";

describe("classifyHttpStatus", () => {
  it("retries 429 inside the adapter", () => {
    expect(classifyHttpStatus(429)).toEqual({ outcome: "throttled" });
  });

  it("makes 5xx and 408 transient; 502/504 may have reached the provider behind the gateway", () => {
    expect(classifyHttpStatus(500)).toEqual({
      outcome: "failed",
      kind: "transient",
      reason: "HTTP_500",
      mayHaveBeenSent: false,
    });
    expect(classifyHttpStatus(503)).toMatchObject({ kind: "transient", mayHaveBeenSent: false });
    expect(classifyHttpStatus(408)).toMatchObject({ kind: "transient", reason: "HTTP_408", mayHaveBeenSent: false });
    expect(classifyHttpStatus(502)).toMatchObject({ kind: "transient", mayHaveBeenSent: true });
    expect(classifyHttpStatus(504)).toMatchObject({ kind: "transient", reason: "HTTP_504", mayHaveBeenSent: true });
  });

  it("makes other 4xx and 3xx permanent with the status as the reason", () => {
    for (const status of [400, 401, 403, 404, 422, 301, 302]) {
      expect(classifyHttpStatus(status)).toEqual({
        outcome: "failed",
        kind: "permanent",
        reason: `HTTP_${status}`,
        mayHaveBeenSent: false,
      });
    }
  });
});

describe("classifyNetworkError", () => {
  const fetchFailed = (code: string) =>
    Object.assign(new TypeError("fetch failed"), { cause: Object.assign(new Error(code), { code }) });

  it("finds the code in fetch's cause chain", () => {
    expect(networkErrorCode(fetchFailed("ECONNREFUSED"))).toBe("ECONNREFUSED");
    expect(networkErrorCode(new Error("plain"))).toBeUndefined();
  });

  it("knows a refused connection never reached the provider", () => {
    expect(classifyNetworkError(fetchFailed("ECONNREFUSED"), false)).toEqual({
      kind: "transient",
      reason: "NETWORK_ERROR",
      mayHaveBeenSent: false,
      code: "ECONNREFUSED",
    });
    expect(classifyNetworkError(fetchFailed("ENOTFOUND"), false).mayHaveBeenSent).toBe(false);
  });

  it("treats a timeout or a connection lost mid-request as possibly sent", () => {
    expect(classifyNetworkError(new DOMException("aborted", "AbortError"), true)).toEqual({
      kind: "transient",
      reason: "TIMEOUT",
      mayHaveBeenSent: true,
    });
    expect(classifyNetworkError(fetchFailed("ECONNRESET"), false).mayHaveBeenSent).toBe(true);
    expect(classifyNetworkError(fetchFailed("UND_ERR_SOCKET"), false).mayHaveBeenSent).toBe(true);
    expect(classifyNetworkError(new Error("no code"), false).mayHaveBeenSent).toBe(true);
  });
});

describe("parseRetryAfter", () => {
  it("reads delta seconds and HTTP dates", () => {
    const now = Date.parse("2026-11-24T04:00:00Z");
    expect(parseRetryAfter("2", now)).toBe(2_000);
    expect(parseRetryAfter(" 0 ", now)).toBe(0);
    expect(parseRetryAfter("Tue, 24 Nov 2026 04:00:05 GMT", now)).toBe(5_000);
    expect(parseRetryAfter("Tue, 24 Nov 2026 03:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter("-1", now)).toBeUndefined();
  });
});

describe("webhook token", () => {
  it("reads the header first, then ?token=", () => {
    const url = "http://127.0.0.1/api/providers/p1/receipts";
    expect(readPresentedToken(new Request(url, { headers: { "X-Volley-Webhook-Token": " abc " } }))).toBe("abc");
    expect(readPresentedToken(new Request(`${url}?token=q`, { headers: { "x-volley-webhook-token": "h" } }))).toBe("h");
    expect(readPresentedToken(new Request(`${url}?token=q%2Bs`))).toBe("q+s");
    expect(readPresentedToken(new Request(`${url}?token=`))).toBeNull();
    expect(readPresentedToken(new Request(url))).toBeNull();
  });

  it("compares whole tokens of any length", () => {
    expect(tokensEqual("0123456789abcdef-x", "0123456789abcdef-x")).toBe(true);
    expect(tokensEqual("0123456789abcdef-", "0123456789abcdef-x")).toBe(false);
    expect(tokensEqual("", "0123456789abcdef-x")).toBe(false);
  });
});
