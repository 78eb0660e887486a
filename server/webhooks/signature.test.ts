import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { generateWebhookSecret, signWebhook, verifyWebhookSignature } from "./signature";

const secret = "whsec_test";
const body = '{"type":"message.status","data":{"messageId":"api-c-1","status":"DELIVERED"}}';
const at = new Date("2026-12-06T10:00:00Z");

describe("webhook signatures", () => {
  it("signs t.body with HMAC-SHA256, as a receiver recomputes it by hand", () => {
    const header = signWebhook(secret, body, at);
    const t = 1796551200;
    expect(header).toBe(`t=${t},v1=${createHmac("sha256", secret).update(`${t}.${body}`).digest("hex")}`);
    expect(verifyWebhookSignature(secret, header, body, at)).toBe(true);
  });

  it("refuses another body, another secret, an old or future signature, and garbage", () => {
    const header = signWebhook(secret, body, at);
    expect(verifyWebhookSignature(secret, header, body.replace("DELIVERED", "EXPIRED"), at)).toBe(false);
    expect(verifyWebhookSignature("whsec_other", header, body, at)).toBe(false);
    expect(verifyWebhookSignature(secret, header, body, new Date(at.getTime() + 301_000))).toBe(false);
    expect(verifyWebhookSignature(secret, header, body, new Date(at.getTime() - 301_000))).toBe(false);
    expect(verifyWebhookSignature(secret, header, body, new Date(at.getTime() + 299_000))).toBe(true);
    expect(verifyWebhookSignature(secret, null, body, at)).toBe(false);
    expect(verifyWebhookSignature(secret, "t=abc,v1=00", body, at)).toBe(false);
    expect(verifyWebhookSignature(secret, header.replace(/v1=../, "v1=zz"), body, at)).toBe(false);
  });

  it("accepts any one of several v1 signatures (a secret being rotated)", () => {
    const header = signWebhook(secret, body, at);
    const old = signWebhook("whsec_old", body, at).split(",")[1];
    expect(verifyWebhookSignature(secret, `${header},${old}`, body, at)).toBe(true);
    expect(verifyWebhookSignature("whsec_old", `${header},${old}`, body, at)).toBe(true);
  });

  it("generates distinct secrets", () => {
    const a = generateWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{32}$/);
    expect(generateWebhookSecret()).not.toBe(a);
  });
});
