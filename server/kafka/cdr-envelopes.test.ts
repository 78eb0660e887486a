import { Partitioners } from "kafkajs";
import { describe, expect, it } from "vitest";
import { groupByPartition } from "./client";
import { itemsIn, MAX_ITEMS_PER_RECORD, recordOfItem } from "./packed";
import { cdrPacking, usageCdrRecord, usageCdrV1Json, type PackedCdrWire } from "./topics";

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
