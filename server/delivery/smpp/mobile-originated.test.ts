import { describe, expect, it } from "vitest";
import { encodeSm, decodePdu } from "./wire";
import { parseMobileOriginated } from "./mobile-originated";

/** A deliver_sm as it comes off the wire: encoded, then decoded by the session's own decoder. */
function onTheWire(fields: Record<string, unknown>) {
  return decodePdu(encodeSm("deliver_sm", fields).toBuffer()) as unknown as Record<string, unknown>;
}

describe("parseMobileOriginated", () => {
  it("reads the handset, the address it wrote to and a GSM 7-bit text", () => {
    const pdu = onTheWire({
      source_addr_ton: 1,
      source_addr: "15551230001",
      destination_addr: "ACME",
      esm_class: 0,
      data_coding: 0,
      short_message: Buffer.from("Stop please", "latin1"),
    });
    expect(parseMobileOriginated(pdu)).toEqual({ from: "15551230001", to: "ACME", text: "Stop please" });
  });

  it("decodes a UCS-2 reply", () => {
    const pdu = onTheWire({
      source_addr: "447700900123",
      destination_addr: "447700900000",
      esm_class: 0,
      data_coding: 8,
      short_message: Buffer.from("СТОП", "utf16le").swap16(),
    });
    expect(parseMobileOriginated(pdu)).toEqual({ from: "447700900123", to: "447700900000", text: "СТОП" });
  });

  it("is not a delivery receipt nor an intermediate notification", () => {
    const base = {
      source_addr: "15551230001",
      destination_addr: "ACME",
      short_message: Buffer.from("id:1 stat:DELIVRD"),
    };
    expect(parseMobileOriginated(onTheWire({ ...base, esm_class: 0x04 }))).toBeNull();
    expect(parseMobileOriginated(onTheWire({ ...base, esm_class: 0x20 }))).toBeNull();
  });

  it("leaves out binary content and PDUs without both addresses", () => {
    expect(
      parseMobileOriginated(
        onTheWire({
          source_addr: "1555",
          destination_addr: "ACME",
          esm_class: 0,
          data_coding: 4,
          short_message: Buffer.from([1, 2]),
        }),
      ),
    ).toBeNull();
    expect(
      parseMobileOriginated(
        onTheWire({ source_addr: "", destination_addr: "ACME", esm_class: 0, short_message: Buffer.from("STOP") }),
      ),
    ).toBeNull();
  });
});
