import { logLevel } from "kafkajs";
import { describe, expect, it } from "vitest";
import {
  MAX_PACKED_RECORD_BYTES,
  MAX_PARTITION_BYTES_PER_REQUEST,
  packedRequests,
  pinoLevelOf,
  requestsOf,
} from "./client";
import { partitionOfKey } from "./partitioner";
import { routedPacking, type RoutedMessage } from "./topics";

const message = (n: number, body = "Hello from Volley, your code is 123456"): RoutedMessage => ({
  v: 1,
  messageId: `m-${n}`,
  clientId: "c-1",
  accountId: "a-1",
  campaignId: "camp-1",
  billingType: "PREPAID",
  category: "MARKETING",
  recipient: `+4474${String(n).padStart(8, "0")}`,
  sender: "Volley",
  body,
  encoding: "GSM7",
  segments: 1,
  createdAt: "2026-12-02T08:00:00.000Z",
});

const itemsOf = (value: string | Buffer) => (JSON.parse(value.toString()) as { messages: RoutedMessage[] }).messages;

describe("packedRequests", () => {
  it("packs each partition's items in order, each record on its items' partition, within the size limits", () => {
    // ~1.7 KB per message: 1,000 of them would be a 1.7 MB record, over a broker's default limit.
    const messages = Array.from({ length: 5_000 }, (_, n) => message(n, "x".repeat(1_500)));
    const requests = packedRequests(messages, routedPacking, 3);
    expect(requests.length).toBeGreaterThan(1);
    const perPartition = new Map<number, RoutedMessage[]>();
    for (const records of requests) {
      const bytes = new Map<number, number>();
      for (const record of records) {
        const size = Buffer.byteLength(record.value);
        expect(size).toBeLessThanOrEqual(MAX_PACKED_RECORD_BYTES);
        bytes.set(record.partition!, (bytes.get(record.partition!) ?? 0) + size);
        const items = itemsOf(record.value);
        expect(items.length).toBeLessThanOrEqual(1_000);
        expect(record.key).toBe(items[0]!.messageId);
        for (const m of items) expect(partitionOfKey(m.messageId, 3)).toBe(record.partition);
        perPartition.set(record.partition!, [...(perPartition.get(record.partition!) ?? []), ...items]);
      }
      for (const used of bytes.values()) expect(used).toBeLessThanOrEqual(MAX_PARTITION_BYTES_PER_REQUEST);
    }
    // Nothing lost, nothing twice, and each partition's items in the order they were given.
    for (const [partition, items] of perPartition)
      expect(items).toEqual(messages.filter((m) => partitionOfKey(m.messageId, 3) === partition));
    expect([...perPartition.values()].flat()).toHaveLength(5_000);
  });

  it("fits small items 1,000 to a record and one request, and sends an item heavier than a record alone", () => {
    const small = packedRequests(
      Array.from({ length: 2_000 }, (_, n) => message(n)),
      routedPacking,
      1,
    );
    expect(small.map((records) => records.map((r) => itemsOf(r.value).length))).toEqual([[1_000, 1_000]]);

    const heavy = message(7, "y".repeat(MAX_PACKED_RECORD_BYTES + 10));
    const requests = packedRequests([message(1), heavy, message(2)], routedPacking, 1);
    const records = requests.flat().map((r) => itemsOf(r.value).map((m) => m.messageId));
    expect(records.flat()).toEqual(["m-1", "m-7", "m-2"]);
    expect(records).toContainEqual(["m-7"]);
  });
  it("packs each item once when a thousand would make a record too heavy", () => {
    // ~500 B each: 1,000 to a record would be ~500 KB, over MAX_PACKED_RECORD_BYTES.
    const messages = Array.from({ length: 3_000 }, (_, n) => message(n, "z".repeat(320)));
    let packed = 0;
    const counting = {
      ...routedPacking,
      pack: (items: RoutedMessage[]) => ((packed += items.length), routedPacking.pack(items)),
    };
    const records = packedRequests(messages, counting, 1).flat();
    expect(packed).toBe(3_000);
    expect(records.map((r) => itemsOf(r.value).length).reduce((a, b) => a + b, 0)).toBe(3_000);
    for (const r of records) expect(r.value.length).toBeLessThanOrEqual(MAX_PACKED_RECORD_BYTES);
    // Records still carry as many as fit: far more than the halves a too-heavy record was split into.
    expect(Math.max(...records.map((r) => itemsOf(r.value).length))).toBeGreaterThan(500);
  });
});

describe("requestsOf", () => {
  it("splits unpacked records into requests within the size limit, in order, and sends a heavy one alone", () => {
    const records = Array.from({ length: 3_000 }, (_, n) => ({ key: `k-${n}`, value: "z".repeat(600) }));
    const requests = requestsOf(records);
    expect(requests.length).toBe(3);
    for (const request of requests)
      expect(request.reduce((n, r) => n + r.value.length + (r.key?.length ?? 0), 0)).toBeLessThanOrEqual(
        MAX_PARTITION_BYTES_PER_REQUEST,
      );
    expect(requests.flat()).toEqual(records);
    const heavy = { key: null, value: "h".repeat(MAX_PARTITION_BYTES_PER_REQUEST + 1) };
    expect(requestsOf([records[0]!, heavy, records[1]!])).toEqual([[records[0]], [heavy], [records[1]]]);
    expect(requestsOf([])).toEqual([]);
  });
});

describe("kafkajs log levels", () => {
  it("keeps errors as errors but logs what kafkajs handles by itself lower (a group rebalance, a topic another worker created: info; a partition without a leader yet: warn)", () => {
    expect(pinoLevelOf(logLevel.ERROR, { error: "The group is rebalancing, so a rejoin is needed" })).toBe("info");
    expect(pinoLevelOf(logLevel.ERROR, { error: "Topic creation errors" })).toBe("info");
    expect(pinoLevelOf(logLevel.ERROR, { error: "This server is not the leader for that topic-partition" })).toBe(
      "warn",
    );
    expect(pinoLevelOf(logLevel.ERROR, { error: "This server does not host this topic-partition" })).toBe("error");
    expect(pinoLevelOf(logLevel.ERROR, {})).toBe("error");
    expect(pinoLevelOf(logLevel.WARN, {})).toBe("warn");
    expect(pinoLevelOf(logLevel.INFO, { error: "The group is rebalancing, so a rejoin is needed" })).toBe("info");
  });
});
