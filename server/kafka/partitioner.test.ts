import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { Partitioners, type PartitionMetadata } from "kafkajs";
import { describe, expect, it } from "vitest";
import { defaultPartitioner, murmur2, partitionOfKey } from "./partitioner";

const require = createRequire(import.meta.url);
// kafkajs's own (64-bit long) murmur2: the reference ours must match bit for bit.
const kafkajsMurmur2 = require("kafkajs/src/producer/partitioners/default/murmur2") as (key: Buffer | string) => number;

const metadata = (n: number, leaderless: number[] = []): PartitionMetadata[] =>
  Array.from({ length: n }, (_, partitionId) => ({
    partitionId,
    leader: leaderless.includes(partitionId) ? -1 : 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));

const keys = [
  "",
  "a",
  "ab",
  "abc",
  "abcd",
  "account-0",
  "cmx5tu0ir00028a7d67a3cm8s",
  "bench-e2e-mx5uk29q-c1-000123",
  "émoji 🚀 ключ",
  ...Array.from({ length: 2_000 }, (_, n) => randomBytes(n % 67).toString(n % 2 ? "hex" : "latin1")),
];

describe("murmur2 partitioner", () => {
  it("hashes every key exactly as kafkajs (and the Java client) does", () => {
    for (const key of keys) {
      expect(murmur2(key), JSON.stringify(key)).toBe(kafkajsMurmur2(key));
      expect(murmur2(Buffer.from(key)), JSON.stringify(key)).toBe(kafkajsMurmur2(Buffer.from(key)));
    }
    const bytes = randomBytes(301);
    expect(murmur2(bytes)).toBe(kafkajsMurmur2(bytes));
  });

  it("places keyed records where kafkajs's DefaultPartitioner does, for any partition count", () => {
    for (const n of [1, 2, 3, 6, 7, 12, 24, 100]) {
      const theirs = Partitioners.DefaultPartitioner();
      const ours = defaultPartitioner();
      for (const key of keys.slice(0, 300)) {
        const args = { topic: "t", partitionMetadata: metadata(n), message: { key, value: null } };
        expect(ours(args)).toBe(theirs(args));
        expect(partitionOfKey(key, n)).toBe(theirs(args));
      }
    }
  });

  it("keeps an explicit partition and spreads keyless records over partitions with a leader", () => {
    const ours = defaultPartitioner();
    expect(ours({ topic: "t", partitionMetadata: metadata(6), message: { key: "x", value: null, partition: 4 } })).toBe(
      4,
    );
    const seen = new Set<number>();
    for (let i = 0; i < 60; i++) {
      seen.add(ours({ topic: "t", partitionMetadata: metadata(6, [1, 3]), message: { value: null } }));
    }
    expect([...seen].sort()).toEqual([0, 2, 4, 5]);
  });
});
