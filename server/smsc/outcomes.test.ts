import { describe, expect, it } from "vitest";
import { decideOutcome, unitHash, wantsReceipt, DELIVERED, UNDELIVERABLE } from "./outcomes";

const none = { undeliverable: 0, expired: 0 };

describe("decideOutcome", () => {
  it("gives the documented test numbers fixed outcomes whatever the ratios", () => {
    const all = { undeliverable: 1, expired: 0 };
    expect(decideOutcome("447911200001", "k", none)).toMatchObject({ reject: false, stat: "UNDELIV", err: "001" });
    expect(decideOutcome("447911200002", "k", all)).toMatchObject({ reject: false, stat: "EXPIRED", err: "002" });
    expect(decideOutcome("447911200003", "k", none)).toEqual({ reject: true });
    expect(decideOutcome("447911200004", "k", none)).toMatchObject({ reject: false, stat: "REJECTD", err: "004" });
  });

  it("splits other numbers by the ratios, the same way for the same key", () => {
    const ratios = { undeliverable: 0.2, expired: 0.1 };
    const outcomes = Array.from({ length: 5000 }, (_, i) => decideOutcome("447911123456", `m-${i}`, ratios));
    const share = (stat: string) => outcomes.filter((o) => !o.reject && o.stat === stat).length / outcomes.length;
    expect(share("UNDELIV")).toBeGreaterThan(0.17);
    expect(share("UNDELIV")).toBeLessThan(0.23);
    expect(share("EXPIRED")).toBeGreaterThan(0.08);
    expect(share("EXPIRED")).toBeLessThan(0.12);
    expect(decideOutcome("447911123456", "m-7", ratios)).toEqual(decideOutcome("447911123456", "m-7", ratios));
    expect(decideOutcome("447911123456", "m-7", none)).toMatchObject({ stat: "DELIVRD" });
  });

  it("draws uniformly for ids that differ in one character, as Volley's ids do", () => {
    const draws = Array.from({ length: 20_000 }, (_, i) => unitHash(`cmiq7x2k0000${i.toString(36).padStart(4, "0")}`));
    expect(draws.every((u) => u >= 0 && u < 1)).toBe(true);
    // Each tenth of [0, 1) gets its share (2,000 ± 10%).
    const tenths = Array.from({ length: 10 }, (_, k) => draws.filter((u) => Math.floor(u * 10) === k).length);
    for (const n of tenths) expect(n).toBeGreaterThan(1_800);
    for (const n of tenths) expect(n).toBeLessThan(2_200);
  });
});

describe("wantsReceipt", () => {
  it("follows registered_delivery", () => {
    expect(wantsReceipt(0, DELIVERED)).toBe(false);
    expect(wantsReceipt(1, DELIVERED)).toBe(true);
    expect(wantsReceipt(1, UNDELIVERABLE)).toBe(true);
    expect(wantsReceipt(2, DELIVERED)).toBe(false);
    expect(wantsReceipt(2, UNDELIVERABLE)).toBe(true);
    expect(wantsReceipt(3, DELIVERED)).toBe(true);
    expect(wantsReceipt(3, UNDELIVERABLE)).toBe(false);
  });
});
