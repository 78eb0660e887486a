import { describe, expect, it } from "vitest";
import { retryDelayMs } from "./deliveries";

describe("retryDelayMs", () => {
  it("doubles from the base after each failed attempt, capped at an hour", () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, 10_000))).toEqual([10_000, 20_000, 40_000, 80_000]);
    expect(retryDelayMs(9, 10_000)).toBe(2_560_000);
    expect(retryDelayMs(10, 10_000)).toBe(3_600_000);
    expect(retryDelayMs(1_000, 10_000)).toBe(3_600_000);
  });

  it("keeps the default 30 attempts trying for about a day", () => {
    let total = 0;
    for (let n = 1; n < 30; n++) total += retryDelayMs(n, 10_000);
    expect(total / 3_600_000).toBeGreaterThan(20);
    expect(total / 3_600_000).toBeLessThan(24);
  });
});
