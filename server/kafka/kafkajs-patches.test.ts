import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";

// patches/kafkajs+*.patch: kafkajs checksums every record batch it produces with CRC-32C, now by slicing-by-8 instead
// of byte by byte; its encoder takes its buffers unzeroed (allocUnsafe) and keeps big buffers and encoders by
// reference instead of copying them at every level of a request. A wrong checksum, one byte of an old buffer left in
// a request, or a segment out of place would make the broker refuse or misread a produce.
const require = createRequire(import.meta.url);
const crc32C = require("kafkajs/src/protocol/recordBatch/crc32C") as (buffer: Buffer) => number;

type KafkaRecord = { key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer> };
const Record = require("kafkajs/src/protocol/recordBatch/record/v0") as (record: object) => unknown;
const { RecordBatch } = require("kafkajs/src/protocol/recordBatch/v0") as {
  RecordBatch: (batch: object) => Promise<{ buffer: Buffer }>;
};
const decodeRecordBatch = require("kafkajs/src/protocol/recordBatch/v0/decoder") as (
  decoder: unknown,
) => Promise<{ records: KafkaRecord[] }>;
type KafkaDecoder = {
  readInt16(): number;
  readInt32(): number;
  readString(): string | null;
  readBytes(length?: number): Buffer;
  readArray<T>(reader: (d: KafkaDecoder) => T): T[];
  canReadBytes(length: number): boolean;
};
const Decoder = require("kafkajs/src/protocol/decoder") as new (buffer: Buffer) => KafkaDecoder;
type Encoder = { buffer: Buffer; size(): number };
const produceRequest = require("kafkajs/src/protocol/requests/produce/v3/request") as (args: object) => {
  encode(): Promise<Encoder>;
};
const encodeRequest = require("kafkajs/src/protocol/request") as (args: object) => Promise<Encoder>;

/** CRC-32C bit by bit, as defined (reflected polynomial 0x82F63B78). */
function reference(buffer: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of buffer) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe("kafkajs CRC-32C (patched)", () => {
  it("gives the standard check value", () => {
    expect(crc32C(Buffer.from("123456789"))).toBe(0xe3069283);
    expect(crc32C(Buffer.alloc(0))).toBe(0);
  });

  it("agrees with the bitwise definition for every length around the 8-byte steps, and for a record batch's size", () => {
    for (let length = 0; length < 300; length++) {
      const buffer = randomBytes(length);
      expect(crc32C(buffer), `length ${length}`).toBe(reference(buffer));
    }
    const batch = randomBytes(256 * 1024 + 5);
    expect(crc32C(batch)).toBe(reference(batch));
    // A view into a larger buffer (kafkajs hands it slices).
    const slice = batch.subarray(3, 1_003);
    expect(crc32C(slice)).toBe(reference(Buffer.from(slice)));
  });
});

describe("kafkajs encoder (patched: unzeroed buffers)", () => {
  it("encodes a record batch the broker would accept and a consumer reads back as sent, whatever was in memory", async () => {
    // Leave garbage where the encoder's buffers will come from.
    for (let i = 0; i < 64; i++) Buffer.allocUnsafe(1_024 + i * 97).fill(0xa5);
    const sent = Array.from({ length: 40 }, (_, i) => ({
      key: `message-${i}`,
      value: JSON.stringify({ v: 2, i, body: "Hello ✓ ünïcödé ".repeat(i) }),
      headers: { "volley-v": String(i % 3) },
    }));
    const batch = await RecordBatch({
      records: sent.map((m, i) => Record({ ...m, offsetDelta: i, timestampDelta: 0 })),
      lastOffsetDelta: sent.length - 1,
    });
    const bytes = batch.buffer;
    // What the broker checks: the CRC field (after base offset, length, leader epoch and magic) covers the rest.
    expect(bytes.readUInt32BE(17)).toBe(reference(bytes.subarray(21)));

    const { records } = await decodeRecordBatch(new Decoder(bytes));
    expect(
      records.map((r) => ({
        key: r.key?.toString(),
        value: r.value?.toString(),
        headers: { "volley-v": r.headers["volley-v"]?.toString() },
      })),
    ).toEqual(sent);
  });
});

describe("kafkajs encoder (patched: big buffers by reference)", () => {
  it("encodes a whole produce request of big and small records, byte for byte as they were sent", async () => {
    // Values on both sides of the by-reference threshold (16 KB), up to a full packed record.
    const sizes = [10, 16 * 1024 - 1, 16 * 1024, 70_000, 384 * 1024, 3];
    const partitions = [0, 1].map((partition) => ({
      partition,
      firstSequence: 0,
      messages: sizes.map((size, i) => ({
        key: `k-${partition}-${i}`,
        value: randomBytes(size),
        headers: { "volley-statuses": "ACCEPTED" },
        timestamp: 1_800_000_000_000 + i,
      })),
    }));
    const request = produceRequest({ acks: -1, timeout: 30_000, topicData: [{ topic: "t-big", partitions }] });
    const encoder = await encodeRequest({ correlationId: 7, clientId: "volley", request });
    const bytes = encoder.buffer;
    expect(bytes.length).toBe(encoder.size());

    const d = new Decoder(bytes);
    expect(d.readInt32()).toBe(bytes.length - 4);
    expect([d.readInt16(), d.readInt16(), d.readInt32(), d.readString()]).toEqual([0, 3, 7, "volley"]);
    expect([d.readString(), d.readInt16(), d.readInt32()]).toEqual([null, -1, 30_000]);
    const topics = d.readArray((t) => ({
      topic: t.readString(),
      partitions: t.readArray((p) => ({ partition: p.readInt32(), batch: p.readBytes(p.readInt32()) })),
    }));
    expect(d.canReadBytes(1)).toBe(false);
    expect(topics.map((t) => t.topic)).toEqual(["t-big"]);
    expect(topics[0]!.partitions.map((p) => p.partition)).toEqual([0, 1]);
    for (const [i, { batch }] of topics[0]!.partitions.entries()) {
      expect(batch.readUInt32BE(17)).toBe(reference(batch.subarray(21)));
      const { records } = await decodeRecordBatch(new Decoder(batch));
      expect(records.map((r) => r.key?.toString())).toEqual(partitions[i]!.messages.map((m) => m.key));
      records.forEach((r, n) => expect(r.value!.equals(partitions[i]!.messages[n]!.value), `value ${n}`).toBe(true));
      expect(records.map((r) => r.headers["volley-statuses"]?.toString())).toEqual(sizes.map(() => "ACCEPTED"));
    }
  });
});
