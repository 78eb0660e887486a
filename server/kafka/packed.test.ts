import { describe, expect, it } from "vitest";
import { packedRequests } from "./client";
import type { ConsumedRecord } from "./consumer";
import { handleEachItem, itemsIn, type Unpacked } from "./packed";
import {
  messageStatusRecord,
  recordByMessageId,
  routedMessageRecord,
  routedPacking,
  statusPacking,
  STATUSES_HEADER,
  type MessageStatusEvent,
  type RoutedMessage,
} from "./topics";

const at = "2026-12-02T08:00:00.000Z";
const event = (messageId: string, status: MessageStatusEvent["status"] = "DELIVERED"): MessageStatusEvent => ({
  v: 1,
  messageId,
  status,
  reason: null,
  stage: "bulk-proc",
  at,
});

const consumed = <T>(value: T, offset = "5"): ConsumedRecord<T> => ({
  topic: "message-status",
  partition: 1,
  offset,
  key: "m-1",
  value,
});

describe("message-status records", () => {
  it("reads a v1 event and a packed v2 record alike, setting a bad event apart", () => {
    expect(messageStatusRecord.parse(event("m-1"))).toEqual({ items: [event("m-1")], invalid: [] });
    const packed = JSON.parse(
      statusPacking.pack([event("m-1"), { ...event("m-2"), status: "LOST" as never }, event("m-3", "SUBMITTED")]),
    );
    const decoded = messageStatusRecord.parse(packed);
    expect(decoded.items).toEqual([event("m-1"), event("m-3", "SUBMITTED")]);
    expect(decoded.invalid).toHaveLength(1);
    expect(decoded.invalid[0]!.item).toEqual({ ...event("m-2"), status: "LOST" });
    expect(decoded.invalid[0]!.error).toMatch(/^status: /);
    expect(itemsIn(decoded)).toBe(3);
    // A reason left out (optional in v1, defaulted to null) is filled in for packed events too.
    const { reason: _reason, ...noReason } = event("m-4");
    expect(messageStatusRecord.parse({ v: 2, events: [noReason] }).items).toEqual([event("m-4")]);
  });

  it("names the statuses each packed record carries in its header, once each", () => {
    const events = ["a", "b", "c", "d"].map((id, i) => event(id, i % 2 === 0 ? "SUBMITTED" : "UNDELIVERABLE"));
    const requests = packedRequests([...events, event("a", "SUBMITTED")], statusPacking, 1);
    expect(requests.flat().map((r) => r.headers)).toEqual([{ [STATUSES_HEADER]: "SUBMITTED,UNDELIVERABLE" }]);
    expect(packedRequests([event("e", "ACCEPTED")], statusPacking, 1).flat()[0]!.headers).toEqual({
      [STATUSES_HEADER]: "ACCEPTED",
    });
  });

  it("keys a dead-lettered event by its message id, whatever shape it has", () => {
    expect(recordByMessageId(event("m-9"))).toEqual({ key: "m-9", value: JSON.stringify(event("m-9")) });
    expect(recordByMessageId({ messageId: 7 })).toEqual({ key: "", value: '{"messageId":7}' });
    expect(recordByMessageId(null)).toEqual({ key: "", value: "null" });
  });
});

describe("routed message records (billing and send lanes)", () => {
  const routed = (messageId: string): RoutedMessage => ({
    v: 1,
    messageId,
    clientId: "c-1",
    accountId: "a-1",
    campaignId: null,
    billingType: "PREPAID",
    category: "MARKETING",
    recipient: "+447400123456",
    sender: "Volley",
    body: "Hello",
    encoding: "GSM7",
    segments: 1,
    createdAt: at,
  });

  it("reads a v1 message and a packed v2 record alike, setting a bad message apart", () => {
    expect(routedMessageRecord.parse(routed("m-1"))).toEqual({ items: [routed("m-1")], invalid: [] });
    const decoded = routedMessageRecord.parse(
      JSON.parse(routedPacking.pack([routed("m-1"), { ...routed("m-2"), recipient: "0740" }, routed("m-3")])),
    );
    expect(decoded.items).toEqual([routed("m-1"), routed("m-3")]);
    expect(decoded.invalid).toEqual([
      { item: { ...routed("m-2"), recipient: "0740" }, error: "recipient: must be E.164" },
    ]);
    expect(routedPacking.keyOf(routed("m-7"))).toBe("m-7");
    expect(recordByMessageId(routed("m-2"))).toEqual({ key: "m-2", value: JSON.stringify(routed("m-2")) });
  });

  it("refuses a v2 record with no messages or more than a record may carry", () => {
    expect(routedMessageRecord.safeParse({ v: 2, messages: [] }).success).toBe(false);
    expect(routedMessageRecord.safeParse({ v: 2, messages: Array(1_001).fill(routed("m-1")) }).success).toBe(false);
    expect(routedMessageRecord.safeParse({ v: 2, events: [routed("m-1")] }).success).toBe(false);
  });
});

describe("handleEachItem", () => {
  const alone = { item: recordByMessageId, wire: recordByMessageId };

  it("hands each item over as its own record and dead-letters what it rejects alone", async () => {
    const packed = consumed<Unpacked<MessageStatusEvent>>({
      items: [event("m-1"), event("m-2"), event("m-3")],
      invalid: [{ item: { messageId: "m-4", status: "LOST" }, error: "status: invalid" }],
      packed: true,
    });
    const single = consumed<Unpacked<MessageStatusEvent>>({ items: [event("m-5")], invalid: [] }, "6");
    const packedAlone = consumed<Unpacked<MessageStatusEvent>>(
      { items: [event("m-6")], invalid: [], packed: true },
      "7",
    );
    const seen: ConsumedRecord<MessageStatusEvent>[] = [];
    const rejected = await handleEachItem([packed, single, packedAlone], alone, async (records) => {
      seen.push(...records);
      return records
        .filter((r) => ["m-2", "m-5", "m-6"].includes(r.value.messageId))
        .map((record) => ({ record, error: `no ${record.value.messageId}` }));
    });
    expect(seen.map((r) => [r.offset, r.value.messageId])).toEqual([
      ["5", "m-1"],
      ["5", "m-2"],
      ["5", "m-3"],
      ["6", "m-5"],
      ["7", "m-6"],
    ]);
    expect(rejected.map((r) => [r.record, r.error, r.deadLetter])).toEqual([
      [packed, "schema: status: invalid", { key: "m-4", value: '{"messageId":"m-4","status":"LOST"}' }],
      [packed, "no m-2", recordByMessageId(event("m-2"))],
      // A v1 record is dead-lettered as it is; the only item of a v2 record goes alone, as v1, like any other.
      [single, "no m-5", undefined],
      [packedAlone, "no m-6", recordByMessageId(event("m-6"))],
    ]);
  });
});
