import type { KafkaMessage } from "kafkajs";
import { describe, expect, it } from "vitest";
import { decodeRecord } from "./consumer";
import { allTopicNames, bulkMessageV1, partitionsFor, TOPICS } from "./topics";

const valid = {
  v: 1,
  messageId: "c1-1",
  clientId: "client-1",
  campaignId: "c1",
  row: 1,
  recipient: "+447911123456",
  sender: "ACME",
  template: "Hi {{name}}",
  variables: { name: "Ann" },
  category: "MARKETING",
  createdAt: "2026-11-24T10:00:00.000Z",
};

function kafkaMessage(value: string | null, offset = "7"): KafkaMessage {
  return {
    key: Buffer.from("client-1"),
    value: value === null ? null : Buffer.from(value),
    offset,
    timestamp: "0",
    attributes: 0,
    headers: {},
  } as KafkaMessage;
}

describe("bulk message envelope v1", () => {
  it("accepts a complete envelope and defaults variables", () => {
    expect(bulkMessageV1.parse(valid)).toEqual(valid);
    const { variables: _omitted, ...withoutVariables } = valid;
    expect(bulkMessageV1.parse(withoutVariables).variables).toEqual({});
  });

  it("rejects other versions, unknown categories and missing fields", () => {
    expect(bulkMessageV1.safeParse({ ...valid, v: 2 }).success).toBe(false);
    expect(bulkMessageV1.safeParse({ ...valid, category: "SPAM" }).success).toBe(false);
    expect(bulkMessageV1.safeParse({ ...valid, recipient: undefined }).success).toBe(false);
    expect(bulkMessageV1.safeParse({ ...valid, createdAt: "yesterday" }).success).toBe(false);
  });

  it("ignores fields added later, so newer producers stay readable", () => {
    const parsed = bulkMessageV1.parse({ ...valid, priority: "high" });
    expect(parsed).not.toHaveProperty("priority");
  });
});

describe("decodeRecord", () => {
  it("decodes a valid record with its position", () => {
    const decoded = decodeRecord(bulkMessageV1, "bulk-topic", 2, kafkaMessage(JSON.stringify(valid)));
    expect(decoded).toEqual({
      ok: true,
      record: { topic: "bulk-topic", partition: 2, offset: "7", key: "client-1", value: valid },
    });
  });

  it("reports broken JSON, empty values and schema errors with the field", () => {
    const broken = decodeRecord(bulkMessageV1, "t", 0, kafkaMessage("{oops"));
    expect(broken.ok === false && broken.error).toMatch(/^invalid JSON/);
    const empty = decodeRecord(bulkMessageV1, "t", 0, kafkaMessage(null));
    expect(empty.ok).toBe(false);
    const schema = decodeRecord(bulkMessageV1, "t", 0, kafkaMessage(JSON.stringify({ ...valid, sender: "" })));
    expect(schema.ok === false && schema.error).toMatch(/^schema: sender:/);
  });
});

describe("topic catalog", () => {
  it("declares every pipeline topic and dead-letter topic under the prefix", () => {
    const names = allTopicNames("t-");
    expect(names).toContain("t-bulk-topic");
    expect(names).toContain("t-bulk-topic-dlq");
    expect(names).toContain("t-prepaid-low-bulk");
    expect(names).toContain("t-usage-cdr-low");
    expect(names).toContain("t-message-status");
    expect(new Set(names).size).toBe(names.length);
    expect(names.every((n) => n.startsWith("t-"))).toBe(true);
  });

  it("takes partition counts from overrides by base name", () => {
    const opts = { prefix: "t-", defaultPartitions: 6, overrides: { [TOPICS.bulk.name]: 12 } };
    expect(partitionsFor("t-bulk-topic", opts)).toBe(12);
    expect(partitionsFor("t-postpaid", opts)).toBe(6);
  });
});
