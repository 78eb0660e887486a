import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";

// kafkajs checksums every record batch it produces with CRC-32C; patches/kafkajs+*.patch replaces its byte-wise
// loop with slicing-by-8. A wrong checksum would make the broker refuse every produce: the patched function must
// agree with the definition of CRC-32C on any input.
const crc32C = createRequire(import.meta.url)("kafkajs/src/protocol/recordBatch/crc32C") as (buffer: Buffer) => number;

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
