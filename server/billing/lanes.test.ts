import { describe, expect, it } from "vitest";
import { BULK_FETCH } from "../kafka/consumer";
import { TOPICS } from "../kafka/topics";
import { routeByBillingType } from "../validation/decide";
import { LANES, laneName } from "./lanes";

describe("billing lanes", () => {
  it("consumes every topic the validator routes to", () => {
    for (const billingType of ["PREPAID", "POSTPAID"] as const) {
      for (const category of ["MARKETING", "AUTHENTICATION", "AGENT_FLOW"] as const) {
        const lane = category === "MARKETING" ? "low" : "high";
        expect(LANES[billingType][lane].source).toBe(TOPICS[routeByBillingType(billingType, category)]);
      }
    }
  });

  it("lets the broker fill the low lanes' fetches, never the high lanes' (one-time codes)", () => {
    for (const billingType of ["PREPAID", "POSTPAID"] as const) {
      expect(LANES[billingType].low.fetchFill).toEqual(BULK_FETCH);
      expect("fetchFill" in LANES[billingType].high).toBe(false);
    }
  });

  it("sends postpaid usage to its own CDR topic, refused as over the credit limit", () => {
    for (const lane of ["high", "low"] as const) {
      expect(LANES.POSTPAID[lane]).toMatchObject({
        cdr: TOPICS.usageCdrPostpaid,
        refusal: "CREDIT_LIMIT_EXCEEDED",
        appliedIn: "usage_records",
        hasDestination: true,
      });
      expect(LANES.PREPAID[lane]).toMatchObject({
        refusal: "INSUFFICIENT_BALANCE",
        appliedIn: "ledger_entries",
        hasDestination: false,
      });
      expect(LANES.POSTPAID[lane].send).toBe(LANES.PREPAID[lane].send);
    }
    expect(LANES.PREPAID.high.cdr).toBe(TOPICS.usageCdrHigh);
    expect(LANES.PREPAID.low.cdr).toBe(TOPICS.usageCdrLow);
  });

  it("names lanes as their workers", () => {
    expect(laneName("PREPAID", "high")).toBe("prepaid-high");
    expect(laneName("POSTPAID", "low")).toBe("postpaid-low");
  });
});
