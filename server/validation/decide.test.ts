import { describe, expect, it } from "vitest";
import type { ClientProfile } from "../clients/profile";
import type { BulkMessage } from "../kafka/topics";
import { decide, precheck, routeByBillingType, type Decision } from "./decide";

const profile: ClientProfile = {
  id: "cl",
  status: "ACTIVE",
  billingType: "PREPAID",
  accountId: "acc",
  ratePlanId: "rp",
  defaultCountry: "GB",
  timezone: "Europe/London",
  smartEncoding: true,
  maxSegments: 3,
  quietHours: { start: "21:00", end: "08:00" },
  allowedSenders: ["ACME"],
};
const base: BulkMessage = {
  v: 1,
  messageId: "c-1",
  clientId: "cl",
  campaignId: "c",
  row: 1,
  recipient: "07911 123456",
  sender: "ACME",
  template: "Hi {{name}}",
  variables: { name: "Ann" },
  category: "MARKETING",
  createdAt: "2026-06-01T10:00:00.000Z",
};
const noon = new Date("2026-06-01T11:00:00Z");
const night = new Date("2026-06-01T22:00:00Z");
const clean = { isOptedOut: false, isDuplicate: false };

function run(
  m: BulkMessage,
  p = profile,
  at = noon,
  checks = clean,
  campaignStatus: "RUNNING" | "PAUSED" | "CANCELLED" = "RUNNING",
): Decision {
  const first = precheck(m, { profile: p, campaignStatus }, at);
  return first.kind === "done" ? first.decision : decide(m, p, first.e164, checks, at);
}

function reasonOf(d: Decision) {
  return d.kind === "dead-letter"
    ? `dead-letter: ${d.error}`
    : `${d.status.status}${d.status.reason ? ` ${d.status.reason}` : ""}`;
}

describe("validator rules", () => {
  it("accepts and routes a good message with its normalised number, body and segments", () => {
    const d = run(base);
    expect(d.kind).toBe("route");
    if (d.kind !== "route") return;
    expect(d.topic).toBe("prepaidLowBulk");
    expect(d.routed).toMatchObject({
      recipient: "+447911123456",
      body: "Hi Ann",
      encoding: "GSM7",
      segments: 1,
      accountId: "acc",
    });
    expect(d.status).toMatchObject({
      status: "ACCEPTED",
      reason: null,
      content: { recipient: "+447911123456", body: "Hi Ann" },
    });
  });

  it("gives each failure its reason code", () => {
    expect(reasonOf(run(base, { ...profile, status: "SUSPENDED" }))).toBe("REJECTED CLIENT_SUSPENDED");
    expect(reasonOf(run({ ...base, sender: "OTHER" }))).toBe("REJECTED SENDER_NOT_ALLOWED");
    expect(reasonOf(run({ ...base, recipient: "123" }))).toBe("REJECTED INVALID_NUMBER");
    expect(reasonOf(run({ ...base, recipient: "+442079460000" }))).toBe("REJECTED NOT_MOBILE");
    expect(reasonOf(run(base, profile, noon, { isOptedOut: true, isDuplicate: false }))).toBe("REJECTED OPTED_OUT");
    expect(reasonOf(run(base, profile, noon, { isOptedOut: false, isDuplicate: true }))).toBe(
      "REJECTED DUPLICATE_RECIPIENT",
    );
    expect(reasonOf(run({ ...base, variables: {} }))).toBe("REJECTED MISSING_VARIABLE");
    expect(reasonOf(run({ ...base, template: "x".repeat(460) }))).toBe("REJECTED TOO_MANY_SEGMENTS");
    expect(reasonOf(run(base, { ...profile, accountId: null }))).toBe("REJECTED NO_ACCOUNT");
  });

  it("sends the client's answer to a STOP to the number that is now opted out, and nothing else", () => {
    const answer = { ...base, campaignId: null, category: "AGENT_FLOW" as const, keywordAnswer: true };
    const optedOut = { isOptedOut: true, isDuplicate: false };
    const sent = run(answer, profile, noon, optedOut);
    expect(sent.kind === "route" && [sent.topic, sent.status.status]).toEqual(["prepaidHigh", "ACCEPTED"]);
    expect(reasonOf(run({ ...answer, keywordAnswer: false }, profile, noon, optedOut))).toBe("REJECTED OPTED_OUT");
  });

  it("dead-letters unknown clients and campaigns", () => {
    const noClient = precheck(base, { profile: undefined, campaignStatus: "RUNNING" }, noon);
    expect(noClient.kind === "done" && reasonOf(noClient.decision)).toBe("dead-letter: unknown client cl");
    const first = precheck(base, { profile, campaignStatus: undefined }, noon);
    expect(first.kind === "done" && reasonOf(first.decision)).toBe("dead-letter: unknown campaign c");
  });

  it("follows the campaign's state", () => {
    expect(reasonOf(run(base, profile, noon, clean, "CANCELLED"))).toBe("CANCELLED CAMPAIGN_CANCELLED");
    const paused = run(base, profile, noon, clean, "PAUSED");
    expect(paused.kind === "defer" && paused.releaseAt).toBeNull();
    expect(reasonOf(paused)).toBe("DEFERRED CAMPAIGN_PAUSED");
  });

  it("holds marketing in quiet hours until they end, or rejects it when the campaign says so", () => {
    const held = run(base, profile, night);
    expect(reasonOf(held)).toBe("DEFERRED QUIET_HOURS");
    expect(held.kind === "defer" && held.releaseAt?.toISOString()).toBe("2026-06-02T07:00:00.000Z");
    expect(reasonOf(run({ ...base, allowDefer: false }, profile, night))).toBe("REJECTED QUIET_HOURS");
    // Authentication traffic is not marketing: it goes out at night.
    const otp = run({ ...base, category: "AUTHENTICATION" }, profile, night);
    expect(otp.kind === "route" && otp.topic).toBe("prepaidHigh");
  });

  it("uses smart encoding to stay in GSM-7 unless the client turned it off", () => {
    const curly = { ...base, template: "It’s “on” — {{name}}" };
    const smart = run(curly);
    expect(smart.kind === "route" && [smart.routed.encoding, smart.routed.body]).toEqual(["GSM7", 'It\'s "on" - Ann']);
    const strict = run(curly, { ...profile, smartEncoding: false });
    expect(strict.kind === "route" && strict.routed.encoding).toBe("UCS2");
  });

  it("routes by billing type and priority", () => {
    expect(routeByBillingType("PREPAID", "MARKETING")).toBe("prepaidLowBulk");
    expect(routeByBillingType("PREPAID", "AGENT_FLOW")).toBe("prepaidHigh");
    expect(routeByBillingType("POSTPAID", "MARKETING")).toBe("postpaid");
    expect(routeByBillingType("POSTPAID", "AUTHENTICATION")).toBe("postpaidHigh");
  });
});
