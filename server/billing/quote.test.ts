import { describe, expect, it } from "vitest";
import type { RatePlanPrices } from "./pricing";
import { priceRow } from "./quote";

const plan: RatePlanPrices = {
  id: "p",
  currency: "USD",
  defaultPricePerSegment: 2n,
  prices: [{ prefix: "+447400", category: null, pricePerSegment: 3n }],
};
const campaign = {
  template: "Hi {{name}}",
  category: "MARKETING" as const,
  client: { defaultCountry: "GB", smartEncoding: true, maxSegments: 2 },
};

describe("priceRow", () => {
  it("prices a rendered row by its segments and destination", () => {
    expect(priceRow(campaign, plan, { phone: "07400 123456", variables: { name: "Ann" } })).toEqual({
      destination: "GB",
      segments: 1,
      amount: 3n,
    });
    const long = { ...campaign, template: "x".repeat(200) };
    expect(priceRow(long, plan, { phone: "+4915123456780", variables: {} })).toEqual({
      destination: "DE",
      segments: 2,
      amount: 4n,
    });
  });

  it("does not price rows that will not be sent", () => {
    expect(priceRow(campaign, plan, { phone: "12345", variables: { name: "Ann" } })).toBeNull();
    expect(priceRow(campaign, plan, { phone: "+447400123456", variables: {} })).toBeNull();
    const tooLong = { ...campaign, template: "x".repeat(400) };
    expect(priceRow(tooLong, plan, { phone: "+447400123456", variables: {} })).toBeNull();
  });
});
