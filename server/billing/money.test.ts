import { describe, expect, it } from "vitest";
import { formatMoney, parseMoney } from "./money";

describe("money", () => {
  it("formats minor units without floating point", () => {
    expect(formatMoney(123456n, "USD")).toBe("1,234.56 USD");
    expect(formatMoney(5n, "usd")).toBe("0.05 USD");
    expect(formatMoney(-250n, "EUR")).toBe("-2.50 EUR");
    expect(formatMoney(1500n, "JPY")).toBe("1,500 JPY");
    // Beyond Number's exact range.
    expect(formatMoney(9007199254740993n, "USD")).toBe("90,071,992,547,409.93 USD");
  });

  it("parses amounts into minor units and rejects extra precision", () => {
    expect(parseMoney("12.5", "USD")).toBe(1250n);
    expect(parseMoney("1,000", "USD")).toBe(100000n);
    expect(parseMoney("-0.01", "USD")).toBe(-1n);
    expect(() => parseMoney("0.001", "USD")).toThrow(/2 decimal places/);
    expect(() => parseMoney("abc", "USD")).toThrow(/not an amount/);
  });
});
