import { describe, expect, it } from "vitest";
import type { BulkMessage } from "../kafka/topics";
import { normalizeRecipient } from "./phone";
import { renderTemplate } from "./template";
import { validateMessage } from "./validate-batch";

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

describe("validateMessage", () => {
  const base: BulkMessage = {
    v: 1,
    messageId: "c-1",
    clientId: "cl",
    campaignId: "c",
    row: 1,
    recipient: "07911 123456",
    sender: "ACME",
    template: "Hi {{name}}",
    variables: { name: "Ann" },
    category: "MARKETING",
    createdAt: "2026-11-24T10:00:00.000Z",
  };

  it("accepts with the normalised number and rendered body", () => {
    expect(validateMessage(base, { defaultCountry: "GB" })).toMatchObject({
      status: "ACCEPTED",
      recipient: "+447911123456",
      body: "Hi Ann",
      reason: null,
    });
  });

  it("rejects with a reason code", () => {
    expect(validateMessage({ ...base, recipient: "1" }, { defaultCountry: "GB" })).toMatchObject({
      status: "REJECTED",
      reason: "INVALID_NUMBER",
    });
    expect(validateMessage({ ...base, variables: {} }, { defaultCountry: "GB" })).toMatchObject({
      status: "REJECTED",
      reason: "MISSING_VARIABLE",
    });
  });
});
