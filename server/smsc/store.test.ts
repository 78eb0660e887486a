import { describe, expect, it } from "vitest";
import { decodePendingReceipt, encodePendingReceipt, type PendingReceipt } from "./store";

const receipt: PendingReceipt = {
  systemId: "volley",
  messageId: "18c2f00a1b2c000001",
  source: "447911123456",
  sourceTon: 1,
  sourceNpi: 1,
  destination: "ACME",
  destTon: 5,
  destNpi: 0,
  stat: "DELIVRD",
  state: 2,
  err: "000",
  submittedAt: 1_796_000_000_000,
  due: 1_796_000_000_050,
  text: "Hi Ann, “quoted”",
};

describe("receipts owed, as stored in Redis", () => {
  it("read back as they were stored, in half the bytes of the object's JSON", () => {
    const stored = encodePendingReceipt(receipt);
    expect(decodePendingReceipt(stored)).toEqual(receipt);
    expect(stored.length).toBeLessThan(JSON.stringify(receipt).length * 0.6);
  });

  it("still reads one an older simulator stored as an object", () => {
    expect(decodePendingReceipt(JSON.stringify(receipt))).toEqual(receipt);
  });

  it("drops what is not a receipt", () => {
    const fields = JSON.parse(encodePendingReceipt(receipt)) as unknown[];
    const broken = [
      "{oops",
      "42",
      JSON.stringify(fields.slice(1)),
      JSON.stringify([...fields, "extra"]),
      JSON.stringify(fields.map((v, i) => (i === 3 ? 1.5 : v))),
      JSON.stringify(fields.map((v, i) => (i === 9 ? -1 : v))),
      JSON.stringify(fields.map((v, i) => (i === 0 ? 7 : v))),
      JSON.stringify({ ...receipt, due: "soon" }),
    ];
    for (const stored of broken) expect(decodePendingReceipt(stored), stored).toBeNull();
  });
});
