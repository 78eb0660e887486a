import { once } from "node:events";
import net, { type AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import smpp from "smpp";
import { buildSubmitParts, type OutboundSms } from "./encode";
import { ESM_CLASS_DELIVERY_RECEIPT, formatReceiptText } from "./protocol";
import { decodeGsm7, decodePdu, EncodedPdu, encodeResponse, encodeSm, SmppSession } from "./wire";

// Every PDU here is checked against the `smpp` package itself: the bytes this file sends are the bytes the package
// would send, and what it decodes is field for field what the package would decode.

const sms = (text: string, extra: Partial<OutboundSms> = {}): OutboundSms => ({
  id: "camp-1-42",
  from: "TESTCO",
  to: "+447911123456",
  text,
  ...extra,
});
const opts = { useMessagePayload: false, registeredDelivery: true };

const SUBMITS: [string, Record<string, unknown>[]][] = [
  ["a single GSM-7 part with escapes", buildSubmitParts(sms("Hi @ 5€ [x] {y} ~ | ^ \\ _"), opts)],
  ["three concatenated GSM-7 parts", buildSubmitParts(sms("€" + "x".repeat(200) + "@" + "y".repeat(200)), opts)],
  ["two concatenated UCS-2 parts", buildSubmitParts(sms("Привет мир — ".repeat(8)), opts)],
  ["message_payload", buildSubmitParts(sms("z".repeat(400)), { useMessagePayload: true, registeredDelivery: false })],
  ["a numeric sender", buildSubmitParts(sms("code 123456", { from: "+14155550100" }), opts)],
  ["a short-code sender", buildSubmitParts(sms("code 123456", { from: "12345" }), opts)],
];

const receiptFields = (stat: string, state: number, err: number): Record<string, unknown> => ({
  source_addr_ton: 1,
  source_addr_npi: 1,
  source_addr: "447911123456",
  dest_addr_ton: 5,
  dest_addr_npi: 0,
  destination_addr: "TESTCO",
  esm_class: ESM_CLASS_DELIVERY_RECEIPT,
  data_coding: 0,
  short_message: Buffer.from(
    formatReceiptText({
      messageId: "18c2f00a1b2c000001",
      stat,
      err: String(err).padStart(3, "0"),
      submitDate: new Date("2026-12-02T10:00:00Z"),
      doneDate: new Date("2026-12-02T10:00:05Z"),
      text: "Hello_world @home",
    }),
    "ascii",
  ),
  receipted_message_id: "18c2f00a1b2c000001",
  message_state: state,
  network_error_code: Buffer.from([3, (err >> 8) & 0xff, err & 0xff]),
});

/** The package's bytes for the same PDU, with the sequence number this test stamps. */
function packageBytes(command: string, fields: Record<string, unknown>, sequence: number): Buffer {
  const pdu = new smpp.PDU(command, { ...fields });
  pdu.sequence_number = sequence;
  return pdu.toBuffer();
}

function stamped(pdu: smpp.OutgoingPdu, sequence: number): Buffer {
  pdu.sequence_number = sequence;
  return Buffer.from(pdu.toBuffer());
}

const fields = (pdu: object) => ({ ...pdu });

describe("encodeSm", () => {
  it.each(SUBMITS)("encodes submit_sm with %s exactly as the package does", (_, parts) => {
    expect(parts.length).toBeGreaterThan(0);
    parts.forEach((part, i) => {
      const encoded = encodeSm("submit_sm", part);
      expect(encoded).toBeInstanceOf(EncodedPdu);
      expect(stamped(encoded, 1000 + i)).toEqual(packageBytes("submit_sm", part, 1000 + i));
    });
  });

  it("encodes a receipt deliver_sm exactly as the package does", () => {
    for (const [stat, state, err] of [
      ["DELIVRD", 2, 0],
      ["UNDELIV", 5, 0x1234],
      ["EXPIRED", 3, 27],
    ] as const) {
      const f = receiptFields(stat, state, err);
      expect(stamped(encodeSm("deliver_sm", f), 7)).toEqual(packageBytes("deliver_sm", f, 7));
    }
  });

  it("leaves fields it does not know to the package", () => {
    const [part] = buildSubmitParts(sms("hello"), opts);
    for (const odd of [
      { ...part, short_message: "text the package encodes" },
      { ...part, validity_period: new Date("2026-12-03T00:00:00Z") },
      { ...part, sar_msg_ref_num: 7 },
      { ...part, esm_class: "64" },
    ]) {
      const pdu = encodeSm("submit_sm", odd);
      expect(pdu).toBeInstanceOf(smpp.PDU);
      expect(stamped(pdu, 3)).toEqual(packageBytes("submit_sm", odd, 3));
    }
  });
});

describe("decodePdu", () => {
  it.each(SUBMITS)("decodes submit_sm with %s as the package does", (_, parts) => {
    parts.forEach((part, i) => {
      const bytes = packageBytes("submit_sm", part, 50 + i);
      const mine = decodePdu(bytes);
      expect(Object.getPrototypeOf(mine)).not.toBe(smpp.PDU.prototype);
      expect(fields(mine)).toEqual(fields(new smpp.PDU(Buffer.from(bytes))));
      expect(mine.isResponse()).toBe(false);
    });
  });

  it("decodes receipts, responses and refusals as the package does", () => {
    const cases = [
      packageBytes("deliver_sm", receiptFields("DELIVRD", 2, 0), 9),
      packageBytes("deliver_sm", receiptFields("REJECTD", 8, 0x0b), 10),
      packageBytes("submit_sm_resp", { message_id: "18c2f00a1b2c000001" }, 11),
      packageBytes("submit_sm_resp", { command_status: smpp.errors.ESME_RTHROTTLED! }, 12),
      packageBytes("deliver_sm_resp", {}, 13),
      packageBytes("deliver_sm_resp", { command_status: smpp.errors.ESME_RX_T_APPN! }, 14),
    ];
    for (const bytes of cases) {
      const mine = decodePdu(bytes);
      expect(Object.getPrototypeOf(mine)).not.toBe(smpp.PDU.prototype);
      expect(fields(mine)).toEqual(fields(new smpp.PDU(Buffer.from(bytes))));
    }
    expect(decodePdu(cases[2]!).isResponse()).toBe(true);
  });

  it("decodes every submit_sm and deliver_sm into one shape, and every response into another", () => {
    const [part] = buildSubmitParts(sms("hello"), opts);
    const sms1 = decodePdu(packageBytes("submit_sm", part!, 1));
    const receipt = decodePdu(packageBytes("deliver_sm", receiptFields("DELIVRD", 2, 0), 2));
    const plain = decodePdu(packageBytes("deliver_sm", { source_addr: "447700900123", short_message: "hi" }, 3));
    // The same keys in the same order whatever each carried: absent ones are there, undefined.
    expect(Object.keys(receipt)).toEqual(Object.keys(sms1));
    expect(Object.keys(plain)).toEqual(Object.keys(sms1));
    expect(plain.receipted_message_id).toBeUndefined();
    const ok = decodePdu(packageBytes("submit_sm_resp", { message_id: "m-1" }, 4));
    const bare = decodePdu(packageBytes("deliver_sm_resp", {}, 5));
    expect(Object.keys(bare)).toEqual(Object.keys(ok));
  });

  it("leaves other PDUs and unknown TLVs to the package", () => {
    const bind = packageBytes("bind_transceiver", { system_id: "volley", password: "pw" }, 1);
    const [part] = buildSubmitParts(sms("hello"), opts);
    const withSar = packageBytes("submit_sm", { ...part, sar_msg_ref_num: 7 }, 2);
    for (const bytes of [bind, withSar]) {
      const pdu = decodePdu(bytes);
      expect(Object.getPrototypeOf(pdu)).toBe(smpp.PDU.prototype);
      expect(fields(pdu)).toEqual(fields(new smpp.PDU(Buffer.from(bytes))));
    }
    expect(decodePdu(withSar).sar_msg_ref_num).toBe(7);
  });

  it("answers submit_sm and deliver_sm with the package's responses", () => {
    const [part] = buildSubmitParts(sms("hello"), opts);
    const submit = decodePdu(packageBytes("submit_sm", part!, 21));
    const theirs = new smpp.PDU(packageBytes("submit_sm", part!, 21));
    const ok = { message_id: "abc123", command_status: 0 };
    expect(Buffer.from(submit.response(ok).toBuffer())).toEqual(theirs.response({ ...ok }).toBuffer());
    const refused = { command_status: smpp.errors.ESME_RTHROTTLED };
    expect(Buffer.from(submit.response(refused).toBuffer())).toEqual(theirs.response({ ...refused }).toBuffer());
    const receipt = decodePdu(packageBytes("deliver_sm", receiptFields("DELIVRD", 2, 0), 22));
    const theirReceipt = new smpp.PDU(packageBytes("deliver_sm", receiptFields("DELIVRD", 2, 0), 22));
    expect(Buffer.from(receipt.response().toBuffer())).toEqual(theirReceipt.response().toBuffer());
    expect(Buffer.from(receipt.response({ command_status: 0x64 }).toBuffer())).toEqual(
      theirReceipt.response({ command_status: 0x64 }).toBuffer(),
    );
  });

  it("decodes every octet of the default alphabet and its escapes as the package does", () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const escapes = Buffer.from([0x1b, 0x0a, 0x1b, 0x14, 0x1b, 0x28, 0x1b, 0x29, 0x1b, 0x2f, 0x1b, 0x3c, 0x1b, 0x65]);
    for (const bytes of [all, escapes, Buffer.from("plain text", "ascii"), Buffer.alloc(0)]) {
      expect(decodeGsm7(bytes)).toBe(smpp.gsmCoder.decode(bytes, 0));
    }
    // Each octet inside text that is otherwise read as latin1 at once: one that differs must take the slow way.
    for (let octet = 0; octet < 256; octet++) {
      const bytes = Buffer.from([0x41, octet, 0x20, 0x7a]);
      expect(decodeGsm7(bytes), `octet ${octet}`).toBe(smpp.gsmCoder.decode(bytes, 0));
    }
    expect(decodeGsm7(Buffer.from([0x41, 0x1b, 0x65, 0x7a]))).toBe("A€z");
    const receipt = Buffer.from(
      "id:7f3a sub:001 dlvrd:001 submit date:2612042130 stat:DELIVRD err:000 text:Hi",
      "ascii",
    );
    expect(decodeGsm7(receipt)).toBe(receipt.toString("ascii"));
  });
});

describe("SmppSession", () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => cleanup.splice(0).forEach((f) => f()));

  /** A session over a real loopback socket, fed by a plain socket on the other end. */
  async function pair(): Promise<{ session: SmppSession; peer: net.Socket }> {
    const server = net.createServer();
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const accepted = once(server, "connection") as Promise<[net.Socket]>;
    const session = new SmppSession({ host: "127.0.0.1", port: (server.address() as AddressInfo).port });
    const [peer] = await accepted;
    cleanup.push(() => {
      session.destroy();
      peer.destroy();
      server.close();
    });
    return { session, peer };
  }

  it("cuts PDUs out of any chunking and answers callbacks by sequence number", async () => {
    const { session, peer } = await pair();
    const seen: string[] = [];
    session.on("pdu", (pdu: smpp.PDU) => seen.push(`${pdu.command}#${pdu.sequence_number}`));
    const answered: string[] = [];
    const [part] = buildSubmitParts(sms("hello"), opts);
    // Two requests out: their responses come back below, one split across chunks.
    session.send(encodeSm("submit_sm", part!), (resp) => answered.push(String(resp.message_id)));
    session.send(encodeSm("submit_sm", part!), (resp) => answered.push(String(resp.message_id)));
    const wire = Buffer.concat([
      packageBytes("submit_sm_resp", { message_id: "id-1" }, 1),
      packageBytes("deliver_sm", receiptFields("DELIVRD", 2, 0), 77),
      packageBytes("enquire_link", {}, 78),
      packageBytes("submit_sm_resp", { message_id: "id-2" }, 2),
    ]);
    const cuts = [3, 5, 17, 40, 41, 120, wire.length];
    let from = 0;
    for (const to of cuts) {
      peer.write(wire.subarray(from, to));
      from = to;
      await new Promise((r) => setTimeout(r, 5));
    }
    await expect.poll(() => seen.length).toBe(4);
    expect(seen).toEqual(["submit_sm_resp#1", "deliver_sm#77", "enquire_link#78", "submit_sm_resp#2"]);
    expect(answered).toEqual(["id-1", "id-2"]);
  });

  it("reports a PDU whose length is out of range and drops the link", async () => {
    const { session, peer } = await pair();
    const errors: Error[] = [];
    session.on("error", (err: Error) => errors.push(err));
    // Not events.once: it would reject on the very 'error' this test expects.
    const closed = new Promise((resolve) => session.on("close", resolve));
    peer.write(Buffer.from([0, 0, 0x80, 0, 0, 0, 0, 4]));
    await closed;
    expect(errors.map((e) => e.message)).toEqual([expect.stringContaining("out of range")]);
  });
});
