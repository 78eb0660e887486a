import { describe, expect, it } from "vitest";
import { handsetNumber } from "./process";

describe("handsetNumber", () => {
  it("reads the carrier's international form as E.164, as messages store recipients", () => {
    expect(handsetNumber("447911123456")).toBe("+447911123456");
    expect(handsetNumber("+447911123456")).toBe("+447911123456");
    expect(handsetNumber("00447911123456")).toBe("+447911123456");
    expect(handsetNumber("44 7911 123456")).toBe("+447911123456");
  });

  it("keeps a number it cannot read as its digits, and what has none as written", () => {
    expect(handsetNumber("12345")).toBe("+12345");
    expect(handsetNumber(" ACME ")).toBe("ACME");
  });
});
