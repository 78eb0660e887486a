import { describe, expect, it } from "vitest";
import { usageCdrV1, type UsageCdr } from "../kafka/topics";
import { ledgerColumns, ledgerCopyText, ledgerReference, totalsByAccount, uniqueCdrs } from "./deduct";

function cdr(cdrId: string, amount: string, accountId = "acc-1", campaignId: string | null = null): UsageCdr {
  return usageCdrV1.parse({
    v: 1,
    cdrId,
    messageId: `msg-${cdrId}`,
    accountId,
    clientId: "client-1",
    campaignId,
    category: "MARKETING",
    recipient: "+447911123456",
    segments: 1,
    unitPrice: amount,
    amount,
    currency: "USD",
    at: "2026-11-24T10:00:00.000Z",
  });
}

describe("ledgerReference", () => {
  it("keys a charge by its CDR id", () => {
    expect(ledgerReference("camp-1-42")).toBe("cdr:camp-1-42");
  });
});

describe("uniqueCdrs", () => {
  it("keeps the first CDR of each id, in order", () => {
    const first = cdr("a", "5");
    const out = uniqueCdrs([first, cdr("b", "3"), cdr("a", "7"), cdr("c", "1"), cdr("b", "3")]);
    expect(out.map((c) => c.cdrId)).toEqual(["a", "b", "c"]);
    expect(out[0]).toBe(first);
  });
});

describe("ledgerColumns", () => {
  it("lays CDRs out as unnest columns, charges negative, money as exact decimal strings", () => {
    const columns = ledgerColumns([
      cdr("a", "9007199254740993", "acc-2"),
      cdr("b", "0"),
      cdr("c", "12", "acc-1", "camp-1"),
    ]);
    expect(columns).toEqual({
      accountIds: ["acc-2", "acc-1", "acc-1"],
      // 2^53 + 1: a JS number would have rounded it to ...992.
      amounts: ["-9007199254740993", "0", "-12"],
      references: ["cdr:a", "cdr:b", "cdr:c"],
      messageIds: ["msg-a", "msg-b", "msg-c"],
      createdAt: ["2026-11-24T10:00:00.000Z", "2026-11-24T10:00:00.000Z", "2026-11-24T10:00:00.000Z"],
      // Campaign charges carry their campaign: a rebuild restores holds from them.
      campaignIds: [null, null, "camp-1"],
    });
  });
});

describe("ledgerCopyText", () => {
  it("writes one COPY row per CDR: charge negative and exact, null campaign as \\N", () => {
    expect(ledgerCopyText([cdr("a", "9007199254740993", "acc-2"), cdr("c", "12", "acc-1", "camp-1")])).toBe(
      "acc-2\tCHARGE\t-9007199254740993\tcdr:a\tmsg-a\t2026-11-24T10:00:00.000Z\t\\N\n" +
        "acc-1\tCHARGE\t-12\tcdr:c\tmsg-c\t2026-11-24T10:00:00.000Z\tcamp-1\n",
    );
  });

  it("escapes backslashes, tabs and line breaks in ids so a row cannot spill into the next", () => {
    expect(ledgerCopyText([cdr("x\ty\nz\\", "1")])).toBe(
      "acc-1\tCHARGE\t-1\tcdr:x\\ty\\nz\\\\\tmsg-x\\ty\\nz\\\\\t2026-11-24T10:00:00.000Z\t\\N\n",
    );
  });
});

describe("totalsByAccount", () => {
  it("sums each account's CDRs exactly and counts them", () => {
    const totals = totalsByAccount([cdr("a", "9007199254740993"), cdr("b", "2", "acc-2"), cdr("c", "1")]);
    expect([...totals]).toEqual([
      ["acc-1", { amount: 9007199254740994n, cdrs: 2 }],
      ["acc-2", { amount: 2n, cdrs: 1 }],
    ]);
  });
});
