import { describe, expect, it } from "vitest";
import { normalizeRecipient } from "./phone";
import { renderTemplate } from "./template";

describe("normalizeRecipient", () => {
  it("normalises international and local numbers to E.164", () => {
    expect(normalizeRecipient("+44 7911 123456", "US")).toEqual({ ok: true, e164: "+447911123456" });
    expect(normalizeRecipient("07911 123456", "GB")).toEqual({ ok: true, e164: "+447911123456" });
    expect(normalizeRecipient("(415) 555-0123", "US")).toEqual({ ok: true, e164: "+14155550123" });
  });

  it("rejects what is not a valid number", () => {
    expect(normalizeRecipient("12", "GB")).toEqual({ ok: false, reason: "INVALID_NUMBER" });
    expect(normalizeRecipient("hello", "GB")).toEqual({ ok: false, reason: "INVALID_NUMBER" });
    expect(normalizeRecipient("+999123456789", "GB")).toEqual({ ok: false, reason: "INVALID_NUMBER" });
  });
});

describe("renderTemplate", () => {
  it("fills placeholders, spaces allowed", () => {
    expect(renderTemplate("Hi {{ name }}, code {{code}}", { name: "Ann", code: "123" })).toEqual({
      ok: true,
      body: "Hi Ann, code 123",
    });
  });

  it("reports every missing variable once", () => {
    expect(renderTemplate("{{a}} {{b}} {{a}}", {})).toEqual({ ok: false, missing: ["a", "b"] });
  });
});

describe("mobile check", () => {
  it("refuses fixed lines and accepts mobiles", () => {
    expect(normalizeRecipient("+44 20 7946 0000", "GB")).toEqual({ ok: false, reason: "NOT_MOBILE" });
    expect(normalizeRecipient("+33 6 12 34 56 78", "GB")).toEqual({ ok: true, e164: "+33612345678" });
  });
});

describe("bulk-topic key", () => {
  it("puts every spelling of a number of one campaign on one key", async () => {
    const { recipientKey } = await import("../campaigns/launcher");
    expect(recipientKey("c1", "07911 123456")).toBe(recipientKey("c1", "+44 7911 123456"));
    expect(recipientKey("c1", "+447911123456")).toBe("c1:911123456");
    expect(recipientKey("c1", "+447911123456")).not.toBe(recipientKey("c2", "+447911123456"));
    expect(recipientKey("c1", "+447911123457")).not.toBe(recipientKey("c1", "+447911123456"));
  });
});
