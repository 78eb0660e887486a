import { describe, expect, it } from "vitest";
import { routingPrefix, SECRET_MASK } from "./schemas";
import { changedSecrets, checkSettings, maskSettings, mergeSecrets } from "./settings";

describe("provider settings", () => {
  it("masks set secrets and leaves other fields", () => {
    expect(maskSettings({ host: "h", password: "pw", authValue: "", receiptToken: "t" })).toEqual({
      host: "h",
      password: SECRET_MASK,
      authValue: "",
      receiptToken: SECRET_MASK,
    });
    expect(maskSettings(null)).toEqual({});
  });

  it("keeps a stored secret the form sent empty or masked, and takes a new one", () => {
    const stored = { password: "old", authValue: "a" };
    expect(mergeSecrets({ host: "h", password: "" }, stored)).toMatchObject({ host: "h", password: "old" });
    expect(mergeSecrets({ password: SECRET_MASK }, stored)).toMatchObject({ password: "old" });
    expect(mergeSecrets({ password: "new" }, stored)).toMatchObject({ password: "new" });
    // Nothing stored: the mask is never saved as a password.
    expect(mergeSecrets({ password: SECRET_MASK }, {})).not.toHaveProperty("password");
    expect(changedSecrets({ password: "new", authValue: "a" }, stored)).toEqual(["password"]);
  });

  it("validates per kind and names each bad field", () => {
    const ok = checkSettings("SMPP", { host: "h", port: 2775, systemId: "sys", password: "" });
    expect(ok).toEqual({ ok: true, settings: expect.objectContaining({ windowSize: 50, systemType: "" }) });
    const bad = checkSettings("SMPP", { host: "h", port: 0, password: "" });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.message).toMatch(/^Invalid SMPP settings: .*port.*systemId/);
    expect(checkSettings("HTTP", { url: "ftp://x" }).ok).toBe(false);
    expect(checkSettings("HTTP", { url: "https://x.example/send" }).ok).toBe(true);
  });

  it("reads routing prefixes as E.164 prefixes", () => {
    expect(routingPrefix.parse("")).toBe("");
    expect(routingPrefix.parse("44 7")).toBe("+447");
    expect(routingPrefix.parse("+1")).toBe("+1");
    expect(routingPrefix.safeParse("+44a").success).toBe(false);
  });
});
