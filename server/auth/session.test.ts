import { describe, expect, it } from "vitest";
import { hashPassword, verifyPassword } from "./password";
import { createSessionToken, readCookie, verifySessionToken } from "./session";

const operator = { operatorId: "op1", email: "a@b.c", name: "Ada", role: "ADMIN" as const };
const secret = "0123456789abcdef-secret";

describe("session tokens", () => {
  it("round-trips a signed session", () => {
    const { token } = createSessionToken(operator, secret, 1_000_000);
    expect(verifySessionToken(token, secret, 1_000_000)).toMatchObject(operator);
  });

  it("rejects tampering, another secret and expiry", () => {
    const { token, maxAge } = createSessionToken(operator, secret, 1_000_000);
    const [payload, sig] = token.split(".");
    const forged = Buffer.from(JSON.stringify({ ...operator, role: "ADMIN", operatorId: "op2", exp: 9e9 })).toString(
      "base64url",
    );
    expect(verifySessionToken(`${forged}.${sig}`, secret, 1_000_000)).toBeNull();
    expect(verifySessionToken(`${payload}.${sig}x`, secret, 1_000_000)).toBeNull();
    expect(verifySessionToken(token, "another-secret-of-16+", 1_000_000)).toBeNull();
    expect(verifySessionToken(token, secret, 1_000_000 + maxAge * 1000 + 1000)).toBeNull();
    expect(verifySessionToken(undefined, secret)).toBeNull();
  });

  it("reads a cookie among others", () => {
    expect(readCookie("a=1; volley_session=abc.def; b=2", "volley_session")).toBe("abc.def");
    expect(readCookie("a=1", "volley_session")).toBeUndefined();
  });
});

describe("passwords", () => {
  it("verifies the right password only", async () => {
    const stored = await hashPassword("correct horse");
    expect(await verifyPassword("correct horse", stored)).toBe(true);
    expect(await verifyPassword("wrong horse", stored)).toBe(false);
    expect(await verifyPassword("x", "garbage")).toBe(false);
  });
});
