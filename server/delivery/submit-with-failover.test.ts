import { describe, expect, it } from "vitest";
import type { OutboundSms, SubmitResult } from "./provider";
import { submitWithFailover, type ProviderGateway } from "./submit-with-failover";

const sms: OutboundSms = { id: "m1", from: "TESTCO", to: "+447911123456", text: "hi" };
const policy = { maxAttempts: 3, backoffBaseMs: 1, backoffMaxMs: 2 };
const failure = (
  kind: Extract<SubmitResult, { ok: false }>["kind"],
  reason: string,
  mayHaveBeenSent = false,
): SubmitResult => ({ ok: false, kind, reason, mayHaveBeenSent, acceptedPartIds: [] });
const transient = (reason: string, mayHaveBeenSent = false) => failure("transient", reason, mayHaveBeenSent);

function gateway(available: string[], answers: Record<string, SubmitResult[]>) {
  const calls: string[] = [];
  const g: ProviderGateway = {
    isAvailable: (id) => available.includes(id),
    submit: async (id) => {
      calls.push(id);
      return answers[id]!.shift() ?? transient("ESME_RSYSERR");
    },
  };
  return { g, calls };
}

describe("submitWithFailover", () => {
  it("fails over to the next provider after a transient failure that certainly did not send", async () => {
    const { g, calls } = gateway(["a", "b"], {
      a: [transient("ESME_RSYSERR")],
      b: [{ ok: true, providerMessageId: "x1", partMessageIds: ["x1"] }],
    });
    const out = await submitWithFailover(g, ["a", "b"], sms, policy);
    expect(out).toMatchObject({ kind: "submitted", providerId: "b", providerMessageId: "x1" });
    expect(calls).toEqual(["a", "b"]);
  });

  it("skips unavailable providers, rejects permanent failures and never resubmits what may have been sent", async () => {
    const permanent = failure("permanent", "ESME_RSUBMITFAIL");
    const r1 = gateway(["b"], { a: [], b: [permanent] });
    expect(await submitWithFailover(r1.g, ["a", "b"], sms, policy)).toEqual({
      kind: "rejected",
      providerId: "b",
      reason: "ESME_RSUBMITFAIL",
    });
    const r2 = gateway(["a", "b"], { a: [transient("TIMEOUT", true)], b: [] });
    expect(await submitWithFailover(r2.g, ["a", "b"], sms, policy)).toMatchObject({ kind: "unconfirmed" });
    expect(r2.calls).toEqual(["a"]);
  });

  it("gives up after the retry limit: carrier errors fail, unavailability waits for later", async () => {
    const r1 = gateway(["a"], { a: [] });
    expect(await submitWithFailover(r1.g, ["a"], sms, policy)).toMatchObject({
      kind: "failed",
      reason: "ESME_RSYSERR",
    });
    expect(r1.calls).toHaveLength(3);
    const r2 = gateway([], { a: [] });
    expect(await submitWithFailover(r2.g, ["a"], sms, policy)).toEqual({ kind: "retry-later", reason: "NO_PROVIDER" });
    const r3 = gateway(["a"], {
      a: [transient("ESME_RTHROTTLED"), transient("ESME_RTHROTTLED"), transient("ESME_RTHROTTLED")],
    });
    expect(await submitWithFailover(r3.g, ["a"], sms, policy)).toMatchObject({ kind: "retry-later" });
  });

  it("stops at once, on no other provider, when the write gate says another worker holds the message", async () => {
    const fenced = failure("fenced", "FENCED");
    const gates: unknown[] = [];
    const gate = { acquire: async () => false, release: () => undefined };
    const r = gateway(["a", "b"], { a: [fenced], b: [] });
    const submit = r.g.submit;
    r.g.submit = (id, m, g) => (gates.push(g), submit(id, m, g));
    expect(await submitWithFailover(r.g, ["a", "b"], sms, policy, gate)).toEqual({ kind: "taken-over" });
    expect(r.calls).toEqual(["a"]);
    expect(gates).toEqual([gate]);
  });
});
