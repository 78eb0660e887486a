import { describe, expect, it } from "vitest";
import { displayPrefix, generateApiKey, hashApiKey, hashesEqual, isWellFormedApiKey, readPresentedKey } from "./keys";

const headers = (h: Record<string, string>) => new Headers(h);

describe("API keys", () => {
  it("generates vk_ + 32 random bytes in base64url, with its hash and display prefix", () => {
    const { key, prefix, hash } = generateApiKey();
    expect(key).toMatch(/^vk_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(key.slice(3), "base64url")).toHaveLength(32);
    expect(prefix).toBe(key.slice(0, 12));
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).toBe(hashApiKey(key));
    expect(hash).not.toContain(key.slice(3));
    expect(generateApiKey().key).not.toBe(key);
  });

  it("hashes with SHA-256 and compares digests exactly", () => {
    expect(hashApiKey("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const a = hashApiKey("vk_a");
    expect(hashesEqual(a, a)).toBe(true);
    expect(hashesEqual(a, hashApiKey("vk_b"))).toBe(false);
    expect(hashesEqual(a, "")).toBe(false);
    expect(hashesEqual("zz", "zz")).toBe(false);
  });

  it("recognises only well-formed keys", () => {
    const { key } = generateApiKey();
    expect(isWellFormedApiKey(key)).toBe(true);
    expect(isWellFormedApiKey(key.slice(0, -1))).toBe(false);
    expect(isWellFormedApiKey(key + "A")).toBe(false);
    expect(isWellFormedApiKey("sk_" + key.slice(3))).toBe(false);
    expect(isWellFormedApiKey(key.slice(0, -1) + "+")).toBe(false);
    expect(displayPrefix(key)).toHaveLength(12);
  });

  it("reads the key from Authorization: Bearer or X-Api-Key", () => {
    const { key } = generateApiKey();
    expect(readPresentedKey(headers({ authorization: `Bearer ${key}` }))).toEqual({ ok: true, key });
    expect(readPresentedKey(headers({ authorization: `bearer   ${key}  ` }))).toEqual({ ok: true, key });
    expect(readPresentedKey(headers({ "x-api-key": key }))).toEqual({ ok: true, key });
    // Authorization wins over X-Api-Key.
    const other = generateApiKey().key;
    expect(readPresentedKey(headers({ authorization: `Bearer ${key}`, "x-api-key": other }))).toEqual({
      ok: true,
      key,
    });
  });

  it("tells a missing key from a malformed one", () => {
    const { key } = generateApiKey();
    expect(readPresentedKey(headers({}))).toEqual({ ok: false, reason: "missing" });
    expect(readPresentedKey(headers({ "x-api-key": "  " }))).toEqual({ ok: false, reason: "missing" });
    for (const authorization of [`Basic ${key}`, "Bearer", `Bearer ${key} extra`, "Bearer vk_short", key]) {
      expect(readPresentedKey(headers({ authorization }))).toEqual({ ok: false, reason: "malformed" });
    }
    expect(readPresentedKey(headers({ "x-api-key": "nope" }))).toEqual({ ok: false, reason: "malformed" });
  });
});
