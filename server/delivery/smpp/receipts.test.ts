import { describe, expect, it } from "vitest";
import smpp from "smpp";
import { formatReceiptText, MESSAGE_STATE } from "./protocol";
import { isReceipt, parseReceipt, parseReceiptText } from "./receipts";

const TEXT =
  "id:18c2f0a9b1e000001 sub:001 dlvrd:001 submit date:2506011200 done date:2506011201 stat:DELIVRD err:000 text:Hello";

describe("parseReceiptText", () => {
  it("reads id, stat and err from the standard text", () => {
    expect(parseReceiptText(TEXT)).toEqual({ id: "18c2f0a9b1e000001", stat: "DELIVRD", err: "000" });
  });

  it("tolerates lower case, other field orders and a missing err", () => {
    expect(parseReceiptText("stat:undeliv id:ABC123 sub:001")).toEqual({ id: "ABC123", stat: "UNDELIV", err: null });
    expect(parseReceiptText("ID:7 Stat:EXPIRED Err:0A3")).toEqual({ id: "7", stat: "EXPIRED", err: "0A3" });
  });

  it("does not take the id from the text: field or a word ending in id", () => {
    expect(parseReceiptText("msgid:1 stat:DELIVRD")).toBeNull();
  });

  it("returns null without an id or a stat", () => {
    expect(parseReceiptText("hello")).toBeNull();
    expect(parseReceiptText("id:1 err:000")).toBeNull();
  });

  it("reads what formatReceiptText writes", () => {
    const text = formatReceiptText({
      messageId: "abc",
      stat: "REJECTD",
      err: "004",
      submitDate: new Date(Date.UTC(2025, 0, 2, 3, 4)),
      doneDate: new Date(Date.UTC(2025, 0, 2, 3, 5)),
      text: "Grüße, 😀 and more than twenty characters",
    });
    expect(text).toBe(
      "id:abc sub:001 dlvrd:000 submit date:2501020304 done date:2501020305 stat:REJECTD err:004 text:Gr??e, ?? and more t",
    );
    expect(parseReceiptText(text)).toEqual({ id: "abc", stat: "REJECTD", err: "004" });
  });
});

describe("parseReceipt", () => {
  it("prefers the TLVs and takes the error code from the text", () => {
    expect(
      parseReceipt({
        esm_class: 0x04,
        receipted_message_id: "tlv-id",
        message_state: MESSAGE_STATE.UNDELIVERABLE,
        short_message: { message: "id:text-id stat:DELIVRD err:001" },
      }),
    ).toEqual({ providerMessageId: "tlv-id", status: "UNDELIVERABLE", errorCode: "001" });
  });

  it.each([
    ["DELIVRD", "DELIVERED"],
    ["UNDELIV", "UNDELIVERABLE"],
    ["EXPIRED", "EXPIRED"],
    ["REJECTD", "REJECTED"],
    ["DELETED", "UNDELIVERABLE"],
    ["UNKNOWN", "UNDELIVERABLE"],
  ])("falls back to the text: stat:%s is %s", (stat, status) => {
    expect(parseReceipt({ esm_class: 0x04, short_message: { message: `id:x1 stat:${stat} err:002` } })).toEqual({
      providerMessageId: "x1",
      status,
      errorCode: "002",
    });
  });

  it("takes the error code from network_error_code when the text has none", () => {
    const receipt = parseReceipt({
      esm_class: 0x04,
      receipted_message_id: "n1",
      message_state: MESSAGE_STATE.EXPIRED,
      network_error_code: Buffer.from([3, 0, 2]),
    });
    expect(receipt).toEqual({ providerMessageId: "n1", status: "EXPIRED", errorCode: "002" });
  });

  it("ignores intermediate notifications", () => {
    expect(
      parseReceipt({ esm_class: 0x04, receipted_message_id: "a", message_state: MESSAGE_STATE.ENROUTE }),
    ).toBeNull();
    expect(parseReceipt({ esm_class: 0x04, short_message: { message: "id:a stat:ACCEPTD err:000" } })).toBeNull();
  });

  it("parses a receipt after a round trip through smpp's PDU encoder and decoder", () => {
    const pdu = new smpp.PDU("deliver_sm", {
      esm_class: 0x04,
      data_coding: 0,
      short_message: Buffer.from(TEXT, "ascii"),
      receipted_message_id: "18c2f0a9b1e000001",
      message_state: MESSAGE_STATE.DELIVERED,
    });
    const decoded = new smpp.PDU(pdu.toBuffer());
    expect(isReceipt(decoded)).toBe(true);
    expect(parseReceipt(decoded)).toEqual({
      providerMessageId: "18c2f0a9b1e000001",
      status: "DELIVERED",
      errorCode: "000",
    });
  });

  it("recognises a receipt by its esm_class message type only", () => {
    expect(isReceipt({ esm_class: 0x04 })).toBe(true);
    expect(isReceipt({ esm_class: 0x44 })).toBe(true);
    expect(isReceipt({ esm_class: 0x00 })).toBe(false);
    expect(isReceipt({ esm_class: 0x08 })).toBe(false);
  });
});
