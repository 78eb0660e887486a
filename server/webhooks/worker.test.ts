import type { KafkaMessage } from "kafkajs";
import { describe, expect, it } from "vitest";
import { statusPacking, type MessageStatusEvent } from "../kafka/topics";
import { carriesNoApiMessage } from "./worker";

const event = (messageId: string, body = "hi"): MessageStatusEvent => ({
  v: 1,
  messageId,
  status: "DELIVERED",
  reason: null,
  stage: "test",
  at: "2026-12-06T10:00:00.000Z",
  content: {
    clientId: "c1",
    campaignId: null,
    recipient: "+447911123456",
    sender: "ACME",
    body,
    category: "MARKETING",
    encoding: "GSM7",
    segments: 1,
  },
});
const record = (events: MessageStatusEvent[]) => ({ value: Buffer.from(statusPacking.pack(events)) }) as KafkaMessage;

describe("carriesNoApiMessage", () => {
  it("passes by packed status records of campaign messages alone, before parsing them", () => {
    expect(carriesNoApiMessage(record([event("camp1-1"), event("camp1-2")]))).toBe(true);
    expect(carriesNoApiMessage(record([event("camp1-1"), event("api-c1-AAAAAAAAAAAAAAAAAAAAAA")]))).toBe(false);
    expect(carriesNoApiMessage({ value: Buffer.from(JSON.stringify(event("api-c1-x"))) } as KafkaMessage)).toBe(false);
  });

  it("is not fooled by a message text that quotes an API message id (escaped in the JSON)", () => {
    expect(carriesNoApiMessage(record([event("camp1-1", '{"messageId":"api-c1-x"}')]))).toBe(true);
  });
});
