import { describe, expect, it } from "vitest";
import { TokenBucket } from "./token-bucket";

describe("TokenBucket", () => {
  it("allows one second's worth at once, then refills at the rate", () => {
    const bucket = new TokenBucket(10, 0);
    expect(Array.from({ length: 12 }, () => bucket.tryTake(0)).filter(Boolean)).toHaveLength(10);
    expect(bucket.msUntilNext(0)).toBe(100);
    expect(bucket.tryTake(50)).toBe(false);
    expect(bucket.tryTake(100)).toBe(true);
    // An idle spell never banks more than one second's worth.
    expect(Array.from({ length: 30 }, () => bucket.tryTake(10_000)).filter(Boolean)).toHaveLength(10);
  });

  it("does not limit at rate 0", () => {
    const bucket = new TokenBucket(0, 0);
    expect(Array.from({ length: 1000 }, () => bucket.tryTake(0)).every(Boolean)).toBe(true);
    expect(bucket.msUntilNext(0)).toBe(0);
  });
});
