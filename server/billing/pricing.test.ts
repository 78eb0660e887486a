import { describe, expect, it } from "vitest";
import { pricePerSegment, type RatePlanPrices } from "./pricing";

const plan: RatePlanPrices = {
  id: "p",
  currency: "USD",
  defaultPricePerSegment: 2n,
  prices: [
    { prefix: "+44", category: null, pricePerSegment: 3n },
    { prefix: "+447", category: null, pricePerSegment: 4n },
    { prefix: "+447", category: "AUTHENTICATION", pricePerSegment: 6n },
    { prefix: "+4479", category: "MARKETING", pricePerSegment: 5n },
    { prefix: "+1", category: null, pricePerSegment: 1n },
  ],
};

describe("pricePerSegment", () => {
  it("takes the longest matching prefix", () => {
    expect(pricePerSegment(plan, "AGENT_FLOW", "+447911123456")).toBe(4n);
    expect(pricePerSegment(plan, "MARKETING", "+447911123456")).toBe(5n);
    expect(pricePerSegment(plan, "MARKETING", "+442079460000")).toBe(3n);
    expect(pricePerSegment(plan, "MARKETING", "+14155550123")).toBe(1n);
  });

  it("prefers the category's price at equal length and ignores other categories' prices", () => {
    expect(pricePerSegment(plan, "AUTHENTICATION", "+447400123456")).toBe(6n);
    expect(pricePerSegment(plan, "AUTHENTICATION", "+447911123456")).toBe(6n);
  });

  it("falls back to the plan's default", () => {
    expect(pricePerSegment(plan, "MARKETING", "+33612345678")).toBe(2n);
  });
});
