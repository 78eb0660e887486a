import { describe, expect, it } from "vitest";
import { CircuitBreaker } from "./circuit-breaker";

describe("CircuitBreaker", () => {
  it("opens after N consecutive failures for the cool-down, and a success resets the count", () => {
    const c = new CircuitBreaker(3, 1_000);
    c.recordFailure(0);
    c.recordFailure(0);
    c.recordSuccess();
    c.recordFailure(0);
    c.recordFailure(0);
    expect(c.isOpen(0)).toBe(false);
    c.recordFailure(100);
    expect(c.isOpen(100)).toBe(true);
    expect(c.isOpen(1_099)).toBe(true);
    expect(c.isOpen(1_100)).toBe(false);
  });
});
