import { describe, expect, it } from "vitest";
import { LanePriority } from "./lane-priority";

describe("LanePriority", () => {
  it("holds the low lane while the high lane has submits outstanding", async () => {
    const p = new LanePriority();
    await p.lowTurn();
    p.highStarted(2);
    let released = false;
    const low = p.lowTurn().then(() => (released = true));
    p.highFinished(1);
    await new Promise((r) => setTimeout(r, 5));
    expect(released).toBe(false);
    p.highFinished(1);
    await low;
    expect(released).toBe(true);
  });
});
