import { describe, expect, it } from "vitest";
import { availableProviders, chooseRule, type RoutingRuleRow } from "./routing";

const rule = (id: string, r: Partial<RoutingRuleRow>): RoutingRuleRow => ({
  id,
  clientId: null,
  prefix: "",
  category: null,
  providerIds: [id],
  position: 0,
  ...r,
});

describe("chooseRule", () => {
  const rules = [
    rule("catch-all", {}),
    rule("uk", { prefix: "+44" }),
    rule("uk-mobile", { prefix: "447" }),
    rule("uk-auth", { prefix: "+44", category: "AUTHENTICATION" }),
    rule("client-any", { clientId: "c1" }),
    rule("client-uk-2", { clientId: "c2", prefix: "+44", position: 2 }),
    rule("client-uk-1", { clientId: "c2", prefix: "+44", position: 1 }),
  ];
  const q = (clientId: string, recipient: string, category: "MARKETING" | "AUTHENTICATION" = "MARKETING") => ({
    clientId,
    recipient,
    category,
  });

  it("prefers the client's own rule, then the longer prefix, then the category, then the position", () => {
    expect(chooseRule(rules, q("c1", "+15551234567"))?.id).toBe("client-any");
    expect(chooseRule(rules, q("c1", "+447911123456"))?.id).toBe("client-any");
    expect(chooseRule(rules, q("cX", "+447911123456"))?.id).toBe("uk-mobile");
    expect(chooseRule(rules, q("cX", "+442079460000"))?.id).toBe("uk");
    expect(chooseRule(rules, q("cX", "+442079460000", "AUTHENTICATION"))?.id).toBe("uk-auth");
    expect(chooseRule(rules, q("cX", "+33612345678"))?.id).toBe("catch-all");
    expect(chooseRule(rules, q("c2", "+447911123456"))?.id).toBe("client-uk-1");
  });

  it("returns null when nothing matches", () => {
    expect(chooseRule([rule("de", { prefix: "+49" })], q("c1", "+447911123456"))).toBeNull();
  });

  it("keeps the priority order of the available providers", () => {
    expect(availableProviders(["a", "b", "c"], (id) => id !== "a")).toEqual(["b", "c"]);
  });
});
