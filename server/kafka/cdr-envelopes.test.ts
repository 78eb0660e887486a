import { Partitioners } from "kafkajs";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { groupByPartition } from "./client";
import { itemsIn, MAX_ITEMS_PER_RECORD, recordOfItem } from "./packed";
import { cdrPacking, messageCategory, usageCdrRecord, usageCdrV1Json, type PackedCdrWire } from "./topics";

const at = "2026-12-02T08:00:00.000Z";
function item(n: number, over: Partial<PackedCdrWire> = {}): PackedCdrWire {
  return {
    cdrId: `m-${n}`,
    messageId: `m-${n}`,
    accountId: `acc-${n % 3}`,
    clientId: "client-1",
    campaignId: null,
    category: "MARKETING",
    recipient: "+447911123456",
    segments: 2,
    unitPrice: "9007199254740993",
    amount: "18014398509481986",
    currency: "USD",
    ...over,
  };
}

describe("usage CDR records", () => {
  it("reads a v1 record as one CDR, money as exact bigints", () => {
    const decoded = usageCdrRecord.parse({ v: 1, ...item(1), at });
    expect(decoded.invalid).toEqual([]);
    expect(decoded.items).toEqual([{ v: 1, ...item(1), unitPrice: 9007199254740993n, amount: 18014398509481986n, at }]);
  });

  it("reads a v2 record as its CDRs, each stamped with the record's time, and sets a bad one apart", () => {
    const decoded = usageCdrRecord.parse({ v: 2, at, cdrs: [item(1), item(2, { segments: 0 }), item(3)] });
    expect(decoded.items.map((c) => [c.cdrId, c.at, c.amount])).toEqual([
      ["m-1", at, 18014398509481986n],
      ["m-3", at, 18014398509481986n],
    ]);
    expect(decoded.invalid).toHaveLength(1);
    expect(decoded.invalid[0]!.item).toEqual({ ...item(2, { segments: 0 }), v: 1, at });
    expect(decoded.invalid[0]!.error).toMatch(/^segments: /);
    expect(itemsIn(decoded)).toBe(3);
  });

  it("sets apart an item that is not even an object, and dead-letters it as it came", () => {
    const decoded = usageCdrRecord.parse({ v: 2, at, cdrs: [42, item(1)] });
    expect(decoded.items.map((c) => c.cdrId)).toEqual(["m-1"]);
    expect(decoded.invalid.map((i) => i.item)).toEqual([42]);
    expect(recordOfItem(decoded.invalid[0]!.item, "accountId")).toEqual({ key: "", value: "42" });
    expect(recordOfItem({ ...item(2), v: 1, at }, "accountId").key).toBe("acc-2");
  });

  it("refuses a v2 record with no CDRs, too many, or no time", () => {
    expect(usageCdrRecord.safeParse({ v: 2, at, cdrs: [] }).success).toBe(false);
    const tooMany = Array.from({ length: MAX_ITEMS_PER_RECORD + 1 }, (_, n) => item(n));
    expect(usageCdrRecord.safeParse({ v: 2, at, cdrs: tooMany }).success).toBe(false);
    expect(usageCdrRecord.safeParse({ v: 2, cdrs: [item(1)] }).success).toBe(false);
    expect(usageCdrRecord.safeParse({ v: 3, at, cdrs: [item(1)] }).success).toBe(false);
  });

  it("packs CDRs into a v2 record that reads back as the same CDRs, and a CDR alone back into v1", () => {
    const packing = cdrPacking(at);
    const decoded = usageCdrRecord.parse(JSON.parse(packing.pack([item(1), item(2)])));
    expect(decoded.items.map((c) => c.cdrId)).toEqual(["m-1", "m-2"]);
    expect(usageCdrRecord.parse(JSON.parse(usageCdrV1Json(decoded.items[1]!))).items).toEqual([decoded.items[1]]);
  });
});

// What a CDR's fields must be, said field by field: the CDR schemas check the
// same bounds in one pass over the object (checkCdrBounds), for speed.
const minorUnitsText = z.string().regex(/^-?\d{1,30}$/);
const cdrByField = z.object({
  cdrId: z.string().min(1).max(200),
  messageId: z.string().min(1).max(200),
  accountId: z.string().min(1),
  clientId: z.string().min(1),
  campaignId: z.string().min(1).nullable(),
  category: messageCategory,
  recipient: z.string().min(1).max(64),
  segments: z.number().int().min(1),
  unitPrice: minorUnitsText,
  amount: minorUnitsText,
  currency: z.string().length(3),
  destination: z.string().min(2).max(3).optional(),
});

const variants: Record<string, unknown[]> = {
  cdrId: ["", "x", "x".repeat(200), "x".repeat(201), 7, null],
  messageId: ["", "m", "m".repeat(200), "m".repeat(201), undefined],
  accountId: ["", "a", "a".repeat(5_000), 1],
  clientId: ["", "c", null],
  campaignId: [null, "", "k", undefined, 3],
  category: ["MARKETING", "AUTHENTICATION", "AGENT_FLOW", "marketing", ""],
  recipient: ["", "+", "9".repeat(64), "9".repeat(65)],
  segments: [0, 1, 3, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "2"],
  unitPrice: ["0", "-5", "1".repeat(30), "1".repeat(31), "1.5", "1e3", " 1", "", "-", 5],
  amount: ["0", "12", "-0", "x", "１２", "12\n"],
  currency: ["USD", "US", "USDT", ""],
  destination: [undefined, "GB", "GBR", "G", "GBRX", null],
};

describe("CDR field bounds", () => {
  const base = item(1) as Record<string, unknown>;
  const cases = Object.entries(variants).flatMap(([field, values]) =>
    values.map((value) => ({ field, value, cdr: { ...base, [field]: value } })),
  );

  it("accepts and refuses exactly what the field-by-field schema does, on the field at fault", () => {
    for (const { field, value, cdr } of cases) {
      const expected = cdrByField.safeParse(cdr);
      const decoded = usageCdrRecord.parse({ v: 2, at, cdrs: [cdr] });
      const label = `${field} = ${JSON.stringify(value) ?? String(value)}`;
      expect(decoded.items.length === 1, label).toBe(expected.success);
      if (!expected.success) {
        expect(decoded.invalid[0]!.error, label).toMatch(new RegExp(`^${field}: `));
        // A v1 record is held to the same bounds.
        expect(usageCdrRecord.safeParse({ v: 1, ...cdr, at }).success, label).toBe(false);
      } else expect(usageCdrRecord.parse({ v: 1, ...cdr, at }).items, label).toHaveLength(1);
    }
    expect(cases.filter((c) => !cdrByField.safeParse(c.cdr).success).length).toBeGreaterThan(30);
  });

  it("names every field at fault when several are", () => {
    const decoded = usageCdrRecord.parse({ v: 2, at, cdrs: [{ ...base, cdrId: "", segments: 0, amount: "1.5" }] });
    const fields = decoded.invalid[0]!.error.split("; ").map((issue) => issue.split(":")[0]);
    expect(fields.sort()).toEqual(["amount", "cdrId", "segments"]);
  });
});

describe("groupByPartition", () => {
  it("puts each item on the partition kafkajs's default partitioner gives its key", () => {
    const partitioner = Partitioners.DefaultPartitioner();
    const partitions = 6;
    const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [0],
      isr: [0],
    }));
    const keys = Array.from({ length: 200 }, (_, n) => `account-${n}`);
    const grouped = groupByPartition(keys, (k) => k, partitions);
    expect([...grouped.values()].flat().sort()).toEqual([...keys].sort());
    expect(grouped.size).toBe(partitions);
    for (const [partition, members] of grouped) {
      for (const key of members) {
        expect(partitioner({ topic: "t", partitionMetadata, message: { key, value: null } })).toBe(partition);
      }
    }
  });
});
