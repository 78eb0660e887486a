import { describe, expect, it } from "vitest";
import { formatMonth, hasMonthEnded, monthOf, monthPeriod, previousMonth } from "./period";

describe("invoice periods (calendar months, UTC)", () => {
  it("turns a month into [first of the month, first of the next)", () => {
    expect(monthPeriod("2026-10")).toEqual({
      periodStart: new Date("2026-10-01T00:00:00.000Z"),
      periodEnd: new Date("2026-11-01T00:00:00.000Z"),
    });
    // December rolls into the next year; February knows leap years.
    expect(monthPeriod("2026-12").periodEnd).toEqual(new Date("2027-01-01T00:00:00.000Z"));
    expect(monthPeriod("2028-02").periodEnd).toEqual(new Date("2028-03-01T00:00:00.000Z"));
  });

  it("refuses anything that is not YYYY-MM", () => {
    for (const bad of ["2026-13", "2026-00", "2026-1", "26-10", "2026-10-01", ""]) {
      expect(() => monthPeriod(bad)).toThrow(/not a month/);
    }
  });

  it("finds the previous month in UTC, across year ends and late-evening offsets", () => {
    expect(previousMonth(new Date("2026-11-24T03:39:00Z"))).toBe("2026-10");
    expect(previousMonth(new Date("2027-01-01T00:00:00Z"))).toBe("2026-12");
    expect(previousMonth(new Date("2026-03-31T23:59:59.999Z"))).toBe("2026-02");
    // 23:30 on Oct 31 in New York is already November in UTC.
    expect(previousMonth(new Date("2026-10-31T23:30:00-04:00"))).toBe("2026-10");
    expect(monthOf(new Date("2026-10-31T23:59:59.999Z"))).toBe("2026-10");
  });

  it("knows when a month is over", () => {
    expect(hasMonthEnded("2026-10", new Date("2026-11-01T00:00:00Z"))).toBe(true);
    expect(hasMonthEnded("2026-10", new Date("2026-10-31T23:59:59.999Z"))).toBe(false);
    expect(hasMonthEnded("2026-11", new Date("2026-11-24T00:00:00Z"))).toBe(false);
  });

  it("names a period's month", () => {
    expect(formatMonth(new Date("2026-10-01T00:00:00Z"))).toBe("October 2026");
    expect(formatMonth(new Date("2027-01-01T00:00:00Z"))).toBe("January 2027");
  });
});
