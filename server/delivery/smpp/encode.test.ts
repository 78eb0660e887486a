import { z } from "zod";
import { describe, expect, it } from "vitest";
import smpp from "smpp";
import { analyzeText } from "@/server/messages/encoding";
import { buildSubmitParts, concatenationRef, outboundSmsSchema, type OutboundSms } from "./encode";
import { VOLLEY_MESSAGE_ID_TLV } from "./protocol";

const UDH_OPTS = { useMessagePayload: false, registeredDelivery: true };
const sms = (text: string, extra: Partial<OutboundSms> = {}): OutboundSms => ({
  id: "camp-1-42",
  from: "TESTCO",
  to: "+447911123456",
  text,
  ...extra,
});
const udh = (ref: number, total: number, seq: number) => [0x05, 0x00, 0x03, ref, total, seq];

describe("buildSubmitParts", () => {
  it("sends a single GSM-7 message unpacked with data_coding 0x00 and no UDH", () => {
    const [part, ...rest] = buildSubmitParts(sms("Hi @ 5€"), UDH_OPTS);
    expect(rest).toEqual([]);
    expect(part).toMatchObject({
      data_coding: 0x00,
      esm_class: 0x00,
      registered_delivery: 0x01,
      destination_addr: "447911123456",
      dest_addr_ton: 1,
      dest_addr_npi: 1,
      source_addr: "TESTCO",
      source_addr_ton: 5,
      source_addr_npi: 0,
      volley_message_id: "camp-1-42",
    });
    expect(part!.short_message).toEqual(Buffer.from([0x48, 0x69, 0x20, 0x00, 0x20, 0x35, 0x1b, 0x65]));
  });

  it("splits a 3-segment GSM-7 text into exact UDH-prefixed parts", () => {
    // 153 + 153 + 3 septets; the escape pair € costs two septets.
    const text = "€" + "x".repeat(151) + "@" + "y".repeat(152) + "end";
    expect(analyzeText(text, { smartEncoding: false }).segments).toBe(3);
    const ref = concatenationRef("camp-1-42");
    const parts = buildSubmitParts(sms(text), UDH_OPTS);
    expect(parts.map((p) => [p.esm_class, p.data_coding])).toEqual([
      [0x40, 0x00],
      [0x40, 0x00],
      [0x40, 0x00],
    ]);
    expect(parts[0]!.short_message).toEqual(Buffer.from([...udh(ref, 3, 1), 0x1b, 0x65, ...Array(151).fill(0x78)]));
    expect(parts[1]!.short_message).toEqual(Buffer.from([...udh(ref, 3, 2), 0x00, ...Array(152).fill(0x79)]));
    expect(parts[2]!.short_message).toEqual(Buffer.from([...udh(ref, 3, 3), 0x65, 0x6e, 0x64]));
    expect(parts.every((p) => p.volley_message_id === "camp-1-42")).toBe(true);
  });

  it("splits a 2-segment UCS-2 text into exact UTF-16BE parts without breaking a surrogate pair", () => {
    // 66 + 2 (emoji) + 4 = 72 code units: over 70, and the emoji does not fit in part 1's 67.
    const text = "Ж".repeat(66) + "😀" + "okay";
    const ref = concatenationRef("camp-1-42");
    const parts = buildSubmitParts(sms(text), UDH_OPTS);
    expect(parts).toHaveLength(2);
    expect(parts.map((p) => [p.esm_class, p.data_coding])).toEqual([
      [0x40, 0x08],
      [0x40, 0x08],
    ]);
    expect(parts[0]!.short_message).toEqual(Buffer.from([...udh(ref, 2, 1), ...Array(66).fill([0x04, 0x16]).flat()]));
    expect(parts[1]!.short_message).toEqual(
      Buffer.from([...udh(ref, 2, 2), 0xd8, 0x3d, 0xde, 0x00, 0x00, 0x6f, 0x00, 0x6b, 0x00, 0x61, 0x00, 0x79]),
    );
  });

  it("fills UCS-2 parts to 67 characters (140 octets with the UDH)", () => {
    const parts = buildSubmitParts(sms("Ж".repeat(71)), UDH_OPTS);
    expect(parts.map((p) => (p.short_message as Buffer).length)).toEqual([6 + 134, 6 + 8]);
  });

  it("uses the encoding the validator chose", () => {
    const [part] = buildSubmitParts(sms("plain", { encoding: "UCS2" }), UDH_OPTS);
    expect(part).toMatchObject({
      data_coding: 0x08,
      short_message: Buffer.from([0, 0x70, 0, 0x6c, 0, 0x61, 0, 0x69, 0, 0x6e]),
    });
  });

  it("sends the whole text in message_payload when the provider is configured for it", () => {
    const text = "z".repeat(400);
    const parts = buildSubmitParts(sms(text), { useMessagePayload: true, registeredDelivery: false });
    expect(parts).toHaveLength(1);
    expect(parts[0]).toMatchObject({
      esm_class: 0,
      data_coding: 0,
      registered_delivery: 0,
      short_message: Buffer.alloc(0),
    });
    expect(parts[0]!.message_payload).toEqual(Buffer.alloc(400, 0x7a));
  });

  it("addresses numeric senders as international or short codes", () => {
    expect(buildSubmitParts(sms("a", { from: "+447911123000" }), UDH_OPTS)[0]).toMatchObject({
      source_addr: "447911123000",
      source_addr_ton: 1,
      source_addr_npi: 1,
    });
    expect(buildSubmitParts(sms("a", { from: "60123" }), UDH_OPTS)[0]).toMatchObject({
      source_addr: "60123",
      source_addr_ton: 0,
      source_addr_npi: 1,
    });
  });

  it("goes on the wire byte for byte, with the Volley id in TLV 0x1401", () => {
    const text = "€" + "x".repeat(151) + "@" + "y".repeat(152) + "end";
    const [first] = buildSubmitParts(sms(text), UDH_OPTS);
    const wire = new smpp.PDU("submit_sm", first).toBuffer();
    const shortMessage = first!.short_message as Buffer;
    // sm_length octet, then the bytes exactly as built.
    expect(wire.includes(Buffer.concat([Buffer.from([shortMessage.length]), shortMessage]))).toBe(true);
    const tlv = Buffer.concat([Buffer.from([0x14, 0x01, 0x00, 9]), Buffer.from("camp-1-42")]);
    expect(VOLLEY_MESSAGE_ID_TLV).toBe(0x1401);
    expect(wire.subarray(wire.length - tlv.length)).toEqual(tlv);
    const decoded = new smpp.PDU(wire);
    expect(decoded.volley_message_id).toBe("camp-1-42");
    expect(decoded.esm_class).toBe(0x40);
  });
});

describe("outboundSmsSchema", () => {
  // What a message handed to a provider must be, said field by field; the schema checks it in one pass.
  const byField = z.object({
    id: z.string().min(1).max(250),
    from: z.string().min(1).max(20),
    to: z.string().regex(/^\+?\d{4,20}$/),
    text: z.string(),
    encoding: z.enum(["GSM7", "UCS2"]).optional(),
    urgent: z.boolean().optional(),
  });
  const base = { id: "m-1", from: "ACME", to: "+447911123456", text: "hi", encoding: "GSM7", urgent: false };
  const variants: Record<string, unknown[]> = {
    id: ["", "m", "m".repeat(250), "m".repeat(251), 5],
    from: ["", "A", "A".repeat(20), "A".repeat(21)],
    to: ["+447911123456", "447911123456", "+123", "+1234", "1".repeat(20), "1".repeat(21), "+44 79", "", "++44791"],
    text: ["", 3],
    encoding: [undefined, "UCS2", "utf8"],
    urgent: [undefined, true, "yes"],
  };

  it("accepts and refuses exactly what the field-by-field schema does, naming the field at fault", () => {
    let refused = 0;
    for (const [field, values] of Object.entries(variants)) {
      for (const value of values) {
        const sms = { ...base, [field]: value };
        const label = `${field} = ${JSON.stringify(value)}`;
        const expected = byField.safeParse(sms);
        const actual = outboundSmsSchema.safeParse(sms);
        expect(actual.success, label).toBe(expected.success);
        if (!expected.success) {
          refused++;
          expect(actual.error!.issues[0]!.path, label).toEqual([field]);
        }
      }
    }
    expect(refused).toBeGreaterThan(10);
  });
});
