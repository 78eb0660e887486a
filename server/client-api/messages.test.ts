import { describe, expect, it } from "vitest";
import { apiMessageId } from "./messages";
import { sendMessageInput } from "./schemas";

describe("apiMessageId", () => {
  it("names a referenced message the same way every time, and only for that client", () => {
    const a = apiMessageId("client-a", "order-1");
    expect(a).toMatch(/^api-client-a-[A-Za-z0-9_-]{22}$/);
    expect(apiMessageId("client-a", "order-1")).toBe(a);
    expect(apiMessageId("client-a", "order-2")).not.toBe(a);
    // The same reference from another client is another message.
    expect(apiMessageId("client-b", "order-1").slice(-22)).not.toBe(a.slice(-22));
  });

  it("gives every unreferenced message a new id", () => {
    const ids = new Set(Array.from({ length: 1000 }, () => apiMessageId("client-a")));
    expect(ids.size).toBe(1000);
  });
});

describe("sendMessageInput", () => {
  it("defaults to marketing and maps the API's category names to the pipeline's", () => {
    const base = { to: " +447911123456 ", from: "ACME", text: "hi" };
    expect(sendMessageInput.parse(base)).toEqual({
      to: "+447911123456",
      from: "ACME",
      text: "hi",
      category: "MARKETING",
    });
    expect(sendMessageInput.parse({ ...base, category: "agent_flow" }).category).toBe("AGENT_FLOW");
    expect(sendMessageInput.safeParse({ ...base, category: "AUTHENTICATION" }).success).toBe(false);
    expect(sendMessageInput.safeParse({ ...base, reference: "has space" }).success).toBe(false);
    expect(sendMessageInput.safeParse({ ...base, text: "" }).success).toBe(false);
  });
});
