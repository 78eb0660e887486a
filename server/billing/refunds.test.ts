import { describe, expect, it } from "vitest";
import type { MessageStatusEvent } from "../kafka/topics";
import { carriesNoFinalStatus, finalStatusRecord } from "../messages/final-statuses";
import { firstFinalFailures } from "./refunds";

const event = (messageId: string, status: MessageStatusEvent["status"], reason: string | null = null) =>
  ({ v: 1, messageId, status, reason, stage: "bulk-proc", at: "2026-11-24T10:00:00.000Z" }) as MessageStatusEvent;

describe("firstFinalFailures", () => {
  it("keeps final failures once per message, with the status and reason as the refund's reason", () => {
    expect(
      firstFinalFailures([
        event("a", "SUBMITTED"),
        event("a", "UNDELIVERABLE"),
        event("a", "UNDELIVERABLE"),
        event("b", "REJECTED", "PROVIDER_REJECTED"),
        event("c", "EXPIRED"),
        event("d", "FAILED"),
      ]).map((f) => [f.messageId, f.reason]),
    ).toEqual([
      ["a", "UNDELIVERABLE"],
      ["b", "REJECTED PROVIDER_REJECTED"],
      ["c", "EXPIRED"],
      ["d", "FAILED"],
    ]);
  });

  it("lets the first final status win, as the status writer does", () => {
    expect(
      firstFinalFailures([
        event("a", "DELIVERED"),
        event("a", "FAILED"),
        event("b", "CANCELLED"),
        event("b", "EXPIRED"),
      ]),
    ).toEqual([]);
  });

  it("takes the client from the event's content when it has one", () => {
    const withContent: MessageStatusEvent = {
      ...event("a", "REJECTED", "INVALID_NUMBER"),
      content: {
        clientId: "client-1",
        campaignId: null,
        recipient: "+447911123456",
        sender: "TESTCO",
        body: "hi",
        category: "MARKETING",
        encoding: "GSM7",
        segments: 1,
      },
    };
    expect(firstFinalFailures([withContent, event("b", "FAILED")]).map((f) => f.clientId)).toEqual(["client-1", null]);
  });
});

describe("finalStatusRecord", () => {
  it("reads only the final statuses of a v2 record, validating those, and a v1 record whole", () => {
    const packed = finalStatusRecord.parse({
      v: 2,
      events: [
        { ...event("a", "ACCEPTED"), content: { not: "valid content" } },
        event("a", "SUBMITTED"),
        "not an event",
        event("a", "DELIVERED"),
        event("b", "UNDELIVERABLE", "ERR_001"),
        { ...event("c", "EXPIRED"), at: "yesterday" },
      ],
    });
    expect(packed.items.map((e) => [e.messageId, e.status])).toEqual([
      ["a", "DELIVERED"],
      ["b", "UNDELIVERABLE"],
    ]);
    expect(packed.invalid.map((i) => (i.item as { messageId: string }).messageId)).toEqual(["c"]);
    expect(finalStatusRecord.parse(event("a", "SUBMITTED")).items).toHaveLength(1);
    expect(finalStatusRecord.safeParse({ ...event("a", "ACCEPTED"), content: { not: "valid content" } }).success).toBe(
      false,
    );
  });
});

describe("carriesNoFinalStatus", () => {
  const withHeader = (statuses: string | Buffer) => ({ headers: { "volley-statuses": statuses } });

  it("passes by a packed record of ACCEPTED or SUBMITTED events only", () => {
    expect(carriesNoFinalStatus(withHeader("ACCEPTED"))).toBe(true);
    expect(carriesNoFinalStatus(withHeader(Buffer.from("SUBMITTED,ACCEPTED")))).toBe(true);
  });

  it("reads a record that carries any final status, and one without the header", () => {
    for (const statuses of ["SUBMITTED,UNDELIVERABLE", "DELIVERED", "EXPIRED", "ACCEPTED,REJECTED", "FAILED"]) {
      expect(carriesNoFinalStatus(withHeader(statuses)), statuses).toBe(false);
    }
    expect(carriesNoFinalStatus({ headers: {} })).toBe(false);
    expect(carriesNoFinalStatus({})).toBe(false);
  });
});
