import { describe, expect, it } from "vitest";
import { toBalanceResponse } from "./balance";
import { balanceResponse } from "./schemas";

const base = {
  clientId: "c1",
  accountId: "a1",
  clientStatus: "ACTIVE" as const,
  currency: "USD",
  balance: 123_456n,
  available: 120_000n,
  lowBalanceThreshold: 1_000n,
  creditLimit: 0n,
  unbilledUsage: 0n,
};

describe("balance response", () => {
  it("gives a prepaid account's figures as minor-unit strings, formatted as the console shows them", () => {
    const body = toBalanceResponse({ ...base, billingType: "PREPAID" });
    expect(body).toEqual({
      clientId: "c1",
      accountId: "a1",
      billingType: "PREPAID",
      clientStatus: "ACTIVE",
      currency: "USD",
      balance: "123456",
      available: "120000",
      lowBalanceThreshold: "1000",
      isLow: false,
      formatted: { balance: "1,234.56 USD", available: "1,200.00 USD", lowBalanceThreshold: "10.00 USD" },
    });
    expect(balanceResponse.parse(body)).toEqual(body);
    expect(toBalanceResponse({ ...base, billingType: "PREPAID", available: 1_000n }).isLow).toBe(true);
  });

  it("adds a postpaid account's credit limit and unbilled usage to its headroom", () => {
    const body = toBalanceResponse({
      ...base,
      billingType: "POSTPAID",
      balance: 0n,
      available: 3_765_433n,
      creditLimit: 5_000_000n,
      unbilledUsage: 1_234_567n,
      lowBalanceThreshold: 0n,
    });
    expect(body).toMatchObject({
      billingType: "POSTPAID",
      creditLimit: "5000000",
      unbilledUsage: "1234567",
      available: "3765433",
      isLow: false,
    });
    expect(body.formatted).toMatchObject({ available: "37,654.33 USD", creditLimit: "50,000.00 USD" });
    expect(balanceResponse.parse(body)).toEqual(body);
  });

  it("keeps amounts beyond Number's exact range exact", () => {
    const body = toBalanceResponse({ ...base, billingType: "PREPAID", available: 9_007_199_254_740_993n });
    expect(body.available).toBe("9007199254740993");
  });
});
