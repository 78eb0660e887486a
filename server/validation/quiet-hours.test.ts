import { describe, expect, it } from "vitest";
import { parseHHMM, quietUntil } from "./quiet-hours";

describe("quiet hours", () => {
  const overnight = { start: "21:00", end: "08:00", timezone: "Europe/London" };

  it("allows sending outside the window", () => {
    expect(quietUntil(new Date("2026-06-01T12:00:00Z"), overnight)).toBeNull();
    expect(quietUntil(new Date("2026-06-01T07:00:00Z"), overnight)).toBeNull(); // 08:00 BST: window just ended
  });

  it("defers until the window ends, across midnight, in the client's timezone", () => {
    // 22:30 BST → released at 08:00 BST (07:00Z) the next day.
    expect(quietUntil(new Date("2026-06-01T21:30:00Z"), overnight)?.toISOString()).toBe("2026-06-02T07:00:00.000Z");
    // 02:15 BST → 08:00 BST the same day.
    expect(quietUntil(new Date("2026-06-02T01:15:00Z"), overnight)?.toISOString()).toBe("2026-06-02T07:00:00.000Z");
    // In New York, 23:00 EDT (03:00Z) → 08:00 EDT (12:00Z).
    expect(
      quietUntil(new Date("2026-06-02T03:00:00Z"), { ...overnight, timezone: "America/New_York" })?.toISOString(),
    ).toBe("2026-06-02T12:00:00.000Z");
  });

  it("handles a same-day window and ignores unset or malformed ones", () => {
    const lunch = { start: "12:00", end: "13:30", timezone: "UTC" };
    expect(quietUntil(new Date("2026-06-01T12:45:00Z"), lunch)?.toISOString()).toBe("2026-06-01T13:30:00.000Z");
    expect(quietUntil(new Date("2026-06-01T13:30:00Z"), lunch)).toBeNull();
    expect(quietUntil(new Date("2026-06-01T12:45:00Z"), null)).toBeNull();
    expect(quietUntil(new Date("2026-06-01T12:45:00Z"), { ...lunch, start: "25:00" })).toBeNull();
    expect(parseHHMM("07:05")).toBe(425);
    expect(parseHHMM("7:05")).toBeNull();
  });
});
