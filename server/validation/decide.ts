import type { CampaignStatus } from "@prisma/client";
import type { ClientProfile } from "../clients/profile";
import type { BulkMessage, MessageStatusEvent, RoutedMessage, TopicKey } from "../kafka/topics";
import { analyzeText } from "../messages/encoding";
import { normalizeRecipient } from "./phone";
import { quietUntil } from "./quiet-hours";
import { renderTemplate } from "./template";

// The validator's rules for one message, as a pure function of the message
// and what the batch looked up (profile, campaign state, opt-out and
// duplicate answers), so they can be tested without any service.

export type RejectReason =
  | "CLIENT_SUSPENDED"
  | "NO_ACCOUNT"
  | "SENDER_NOT_ALLOWED"
  | "INVALID_NUMBER"
  | "NOT_MOBILE"
  | "OPTED_OUT"
  | "DUPLICATE_RECIPIENT"
  | "MISSING_VARIABLE"
  | "TOO_MANY_SEGMENTS"
  | "QUIET_HOURS";

/** A concatenated SMS can have at most 255 parts (one-byte UDH counter). */
const MAX_PARTS = 255;

export type Decision =
  | { kind: "route"; topic: TopicKey; routed: RoutedMessage; status: MessageStatusEvent }
  | { kind: "final"; status: MessageStatusEvent }
  | { kind: "defer"; releaseAt: Date | null; status: MessageStatusEvent }
  | { kind: "dead-letter"; error: string };

/** What the first pass decides before the Redis look-ups that need the E.164 number. */
export type Precheck = { kind: "done"; decision: Decision } | { kind: "continue"; e164: string };

export type Lookups = {
  profile: ClientProfile | undefined;
  campaignStatus: CampaignStatus | undefined;
};

function statusEvent(
  m: BulkMessage,
  status: MessageStatusEvent["status"],
  reason: string | null,
  at: Date,
  content: { recipient: string; body: string; encoding: "GSM7" | "UCS2" | null; segments: number },
): MessageStatusEvent {
  return {
    v: 1,
    messageId: m.messageId,
    status,
    reason,
    stage: "validator",
    at: at.toISOString(),
    content: {
      clientId: m.clientId,
      campaignId: m.campaignId,
      sender: m.sender,
      category: m.category,
      ...content,
    },
  };
}

function rejected(m: BulkMessage, reason: RejectReason, at: Date, recipient = m.recipient): Decision {
  return {
    kind: "final",
    status: statusEvent(m, "REJECTED", reason, at, { recipient, body: m.template, encoding: null, segments: 0 }),
  };
}

export function precheck(m: BulkMessage, { profile, campaignStatus }: Lookups, at: Date): Precheck {
  if (!profile) return { kind: "done", decision: { kind: "dead-letter", error: `unknown client ${m.clientId}` } };
  if (m.campaignId) {
    if (!campaignStatus) {
      return { kind: "done", decision: { kind: "dead-letter", error: `unknown campaign ${m.campaignId}` } };
    }
    if (campaignStatus === "CANCELLED") {
      const content = { recipient: m.recipient, body: m.template, encoding: null, segments: 0 };
      return {
        kind: "done",
        decision: { kind: "final", status: statusEvent(m, "CANCELLED", "CAMPAIGN_CANCELLED", at, content) },
      };
    }
    if (campaignStatus === "PAUSED") {
      const content = { recipient: m.recipient, body: m.template, encoding: null, segments: 0 };
      return {
        kind: "done",
        decision: {
          kind: "defer",
          releaseAt: null,
          status: statusEvent(m, "DEFERRED", "CAMPAIGN_PAUSED", at, content),
        },
      };
    }
  }
  if (profile.status === "SUSPENDED") return { kind: "done", decision: rejected(m, "CLIENT_SUSPENDED", at) };
  if (!profile.accountId) return { kind: "done", decision: rejected(m, "NO_ACCOUNT", at) };
  if (!profile.allowedSenders.includes(m.sender))
    return { kind: "done", decision: rejected(m, "SENDER_NOT_ALLOWED", at) };
  const phone = normalizeRecipient(m.recipient, profile.defaultCountry);
  if (!phone.ok) return { kind: "done", decision: rejected(m, phone.reason, at) };
  return { kind: "continue", e164: phone.e164 };
}

export function decide(
  m: BulkMessage,
  profile: ClientProfile,
  e164: string,
  checks: { isOptedOut: boolean; isDuplicate: boolean },
  at: Date,
): Decision {
  if (checks.isOptedOut && !m.keywordAnswer) return rejected(m, "OPTED_OUT", at, e164);
  if (checks.isDuplicate) return rejected(m, "DUPLICATE_RECIPIENT", at, e164);
  const rendered = renderTemplate(m.template, m.variables);
  if (!rendered.ok) return rejected(m, "MISSING_VARIABLE", at, e164);
  const text = analyzeText(rendered.body, { smartEncoding: profile.smartEncoding });
  const content = { recipient: e164, body: text.body, encoding: text.encoding, segments: text.segments };
  if (text.segments > Math.min(profile.maxSegments, MAX_PARTS)) {
    return { kind: "final", status: statusEvent(m, "REJECTED", "TOO_MANY_SEGMENTS", at, content) };
  }
  if (m.category === "MARKETING") {
    const releaseAt = quietUntil(at, profile.quietHours && { ...profile.quietHours, timezone: profile.timezone });
    if (releaseAt) {
      if (m.allowDefer === false)
        return { kind: "final", status: statusEvent(m, "REJECTED", "QUIET_HOURS", at, content) };
      return { kind: "defer", releaseAt, status: statusEvent(m, "DEFERRED", "QUIET_HOURS", at, content) };
    }
  }
  const routed: RoutedMessage = {
    v: 1,
    messageId: m.messageId,
    clientId: m.clientId,
    accountId: profile.accountId!,
    campaignId: m.campaignId,
    billingType: profile.billingType,
    category: m.category,
    recipient: e164,
    sender: m.sender,
    body: text.body,
    encoding: text.encoding,
    segments: text.segments,
    createdAt: m.createdAt,
  };
  return {
    kind: "route",
    topic: routeByBillingType(profile.billingType, m.category),
    routed,
    status: statusEvent(m, "ACCEPTED", null, at, content),
  };
}

/** Prepaid or postpaid lane; authentication and agent-flow traffic takes the high-priority one. */
export function routeByBillingType(
  billingType: ClientProfile["billingType"],
  category: BulkMessage["category"],
): TopicKey {
  const isHigh = category !== "MARKETING";
  if (billingType === "PREPAID") return isHigh ? "prepaidHigh" : "prepaidLowBulk";
  return isHigh ? "postpaidHigh" : "postpaid";
}
