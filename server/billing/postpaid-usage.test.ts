import { describe, expect, it } from "vitest";
import { usageCdrV1, type UsageCdr } from "../kafka/topics";
import { screenUsageCdrs, usageColumns } from "./postpaid-usage";

function cdr(cdrId: string, amount: string, over: Partial<Record<string, unknown>> = {}): UsageCdr {
  return usageCdrV1.parse({
    v: 1,
    cdrId,
    messageId: `msg-${cdrId}`,
    accountId: "acc-1",
    clientId: "client-1",
    campaignId: null,
    category: "MARKETING",
    recipient: "+447400123456",
    segments: 2,
    unitPrice: "3",
    amount,
    currency: "USD",
    at: "2026-11-24T10:00:00.000Z",
    ...over,
  });
}

type Accounts = Parameters<typeof screenUsageCdrs>[1];
const postpaidUsd = { currency: "USD", billing_type: "POSTPAID" as const };

describe("screenUsageCdrs", () => {
  it("accepts the first copy of each CDR for a known postpaid account in its currency", () => {
    const { accepted, refused } = screenUsageCdrs(
      [cdr("a", "6"), cdr("b", "6"), cdr("a", "6")],
      new Map([["acc-1", postpaidUsd]]),
    );
    expect(accepted.map((c) => c.cdrId)).toEqual(["a", "b"]);
    expect(refused).toEqual([]);
  });

  it("refuses unknown accounts, prepaid accounts and other currencies", () => {
    const { accepted, refused } = screenUsageCdrs(
      [
        cdr("unknown", "6", { accountId: "nobody" }),
        cdr("prepaid", "6", { accountId: "acc-pre" }),
        cdr("eur", "6", { currency: "EUR" }),
        cdr("ok", "6"),
      ],
      new Map<string, Accounts extends Map<string, infer A> ? A : never>([
        ["acc-1", postpaidUsd],
        ["acc-pre", { currency: "USD", billing_type: "PREPAID" }],
      ]),
    );
    expect(accepted.map((c) => c.cdrId)).toEqual(["ok"]);
    expect(refused.map((r) => [r.cdr.cdrId, r.reason])).toEqual([
      ["unknown", "unknown account nobody"],
      ["prepaid", "account acc-pre is not a postpaid account"],
      ["eur", "account acc-1 bills in USD, not EUR"],
    ]);
  });
});

describe("usageColumns", () => {
  it("keys each record by its CDR, keeps money exact and defaults the destination to ZZ", () => {
    const big = "900719925474099312345"; // past 2^53: must not pass through a JS number
    const c = usageColumns(
      [cdr("a", big, { destination: "GB", campaignId: "camp-1" }), cdr("b", "6")],
      new Map([["acc-1", "client-of-account"]]),
    );
    expect(c.references).toEqual(["cdr:a", "cdr:b"]);
    expect(c.amounts).toEqual([big, "6"]);
    expect(c.destinations).toEqual(["GB", "ZZ"]);
    expect(c.clientIds).toEqual(["client-of-account", "client-of-account"]);
    expect(c.campaignIds).toEqual(["camp-1", null]);
    expect(c.usedAt).toEqual(["2026-11-24T10:00:00.000Z", "2026-11-24T10:00:00.000Z"]);
    expect(c.segments).toEqual([2, 2]);
  });
});
