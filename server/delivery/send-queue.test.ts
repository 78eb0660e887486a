import { describe, expect, it } from "vitest";
import { SendQueue } from "./send-queue";

describe("SendQueue", () => {
  it("hands out urgent items first, each level first in first out, and puts a returned item back at its front", () => {
    const q = new SendQueue<{ id: string; urgent: boolean }>((i) => i.urgent);
    const item = (id: string, urgent = false) => ({ id, urgent });
    for (const id of ["a", "b", "c"]) q.push(item(id));
    q.push(item("otp1", true));
    q.push(item("otp2", true));
    expect(q.length).toBe(5);
    expect([...q].map((i) => i.id)).toEqual(["otp1", "otp2", "a", "b", "c"]);
    const first = q.shift()!;
    expect(first.id).toBe("otp1");
    q.unshift(first);
    expect(q.shift()!.id).toBe("otp1");
    expect(q.shift()!.id).toBe("otp2");
    const a = q.shift()!;
    q.push(item("otp3", true));
    q.unshift(a);
    expect([...q].map((i) => i.id)).toEqual(["otp3", "a", "b", "c"]);
    q.retain((i) => i.id !== "b");
    expect(q.drain().map((i) => i.id)).toEqual(["otp3", "a", "c"]);
    expect(q.length).toBe(0);
    expect(q.shift()).toBeUndefined();
  });
});
