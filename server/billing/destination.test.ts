import { describe, expect, it } from "vitest";
import { destinationOf } from "./destination";

describe("destinationOf", () => {
  it("names the recipient's region", () => {
    expect(destinationOf("+447400123456")).toBe("GB");
    expect(destinationOf("+4915123456789")).toBe("DE");
    expect(destinationOf("+14155552671")).toBe("US");
  });

  it("tells regions that share a calling code apart", () => {
    expect(destinationOf("+16135550123")).toBe("CA");
    // +44 7911 123… is a Guernsey range, not Great Britain.
    expect(destinationOf("+447911123456")).toBe("GG");
  });

  it("is ZZ when no region is known", () => {
    expect(destinationOf("+999123456789")).toBe("ZZ");
    expect(destinationOf("not a number")).toBe("ZZ");
  });
});
