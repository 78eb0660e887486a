import { describe, expect, it } from "vitest";
import type { RawRecord } from "../kafka/consumer";
import { DLQ_HEADERS } from "../kafka/topics";
import { toDeadLetterRow, UNKNOWN_POSITION } from "./recorder";

function raw(headers: RawRecord["headers"], overrides: Partial<RawRecord> = {}): RawRecord {
  return {
    topic: "p-bulk-topic-dlq",
    partition: 2,
    offset: "41",
    key: Buffer.from("client-1"),
    value: Buffer.from("{not json"),
    headers,
    timestamp: "1795000000000",
    ...overrides,
  };
}

describe("toDeadLetterRow", () => {
  it("reads every dead-letter header and keeps only the original headers", () => {
    const row = toDeadLetterRow(
      raw({
        [DLQ_HEADERS.error]: "invalid JSON: Unexpected token",
        [DLQ_HEADERS.topic]: "p-bulk-topic",
        [DLQ_HEADERS.partition]: "1",
        [DLQ_HEADERS.offset]: "9007199254740993",
        [DLQ_HEADERS.consumerGroup]: "p-validator",
        [DLQ_HEADERS.at]: "2026-11-24T10:00:00.000Z",
        traceparent: "00-abc-def-01",
      }),
    );
    expect(row).toMatchObject({
      dlqTopic: "p-bulk-topic-dlq",
      dlqPartition: 2,
      dlqOffset: "41",
      sourceTopic: "p-bulk-topic",
      sourcePartition: 1,
      // Beyond Number's exact range: kept as text for bigint.
      sourceOffset: "9007199254740993",
      consumerGroup: "p-validator",
      error: "invalid JSON: Unexpected token",
      headers: { traceparent: "00-abc-def-01" },
    });
    expect(row.failedAt.toISOString()).toBe("2026-11-24T10:00:00.000Z");
  });

  it("falls back when headers are missing or garbled instead of failing the batch", () => {
    const row = toDeadLetterRow(
      raw(
        {
          [DLQ_HEADERS.partition]: "one",
          [DLQ_HEADERS.offset]: "-3",
          [DLQ_HEADERS.at]: "yesterday",
          [DLQ_HEADERS.error]: "bad\u0000byte",
        },
        { value: null },
      ),
    );
    expect(row).toMatchObject({
      sourceTopic: "p-bulk-topic",
      sourcePartition: UNKNOWN_POSITION,
      sourceOffset: String(UNKNOWN_POSITION),
      consumerGroup: "",
      error: "bad\uFFFDbyte",
      headers: {},
    });
    expect(row.value).toEqual(Buffer.alloc(0));
    expect(row.failedAt.getTime()).toBe(1795000000000);
  });

  it("records a record without any header", () => {
    const now = new Date("2026-01-01T00:00:00.000Z");
    const row = toDeadLetterRow(raw({}, { timestamp: "" }), now);
    expect(row.error).toBe("(no error recorded)");
    expect(row.failedAt).toBe(now);
  });
});
