import type { OutboundSms, SubmitResult, WriteGate } from "./provider";

/** What bulk-proc needs of the provider pool (a fake in unit tests). */
export type ProviderGateway = {
  isAvailable(providerId: string): boolean;
  submit(providerId: string, sms: OutboundSms, gate?: WriteGate): Promise<SubmitResult>;
};

export type SubmitOutcome =
  | { kind: "submitted"; providerId: string; providerMessageId: string; partMessageIds: string[] }
  /** The carrier refused it for good: final REJECTED with the ESME (or HTTP) reason. */
  | { kind: "rejected"; providerId: string; reason: string }
  /** The carrier may have it (timeout, connection lost mid-submit): never resubmitted. */
  | { kind: "unconfirmed"; providerId: string; reason: string; acceptedPartIds: string[] }
  /** Carrier errors on every attempt: final FAILED. */
  | { kind: "failed"; providerId: string; reason: string }
  /** Certainly not sent and no provider could take it now (down, throttling, queue full): try again later. */
  | { kind: "retry-later"; reason: string }
  /** Not sent: another worker took the message over (fence.ts) and decides it. */
  | { kind: "taken-over" };

export type RetryPolicy = { maxAttempts: number; backoffBaseMs: number; backoffMaxMs: number };

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, backoffBaseMs: 250, backoffMaxMs: 2_000 };

// Reasons that say the provider cannot take traffic right now rather than anything about the message: after the
// retries the message waits for a redelivery (its validity period bounds how long) instead of failing.
const PROVIDER_UNAVAILABLE = new Set([
  "NOT_BOUND",
  "STOPPED",
  "DISCONNECTED",
  "ESME_RTHROTTLED",
  "ESME_RMSGQFUL",
  "ESME_RINVBNDSTS",
  "NO_PROVIDER",
]);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Submits through the first available provider of the route, retrying transient failures that certainly did not
 * reach the carrier with backoff, each retry on the next provider that has not failed this message yet (failover).
 */
export async function submitWithFailover(
  gateway: ProviderGateway,
  providerIds: readonly string[],
  sms: OutboundSms,
  policy: RetryPolicy = DEFAULT_RETRY,
  gate?: WriteGate,
): Promise<SubmitOutcome> {
  const failedOn = new Set<string>();
  let last = null as { providerId: string; reason: string } | null;
  for (let attempt = 0; attempt < policy.maxAttempts; attempt++) {
    if (attempt > 0) await sleep(Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** (attempt - 1)));
    const available = providerIds.filter((id) => gateway.isAvailable(id));
    const providerId = available.find((id) => !failedOn.has(id)) ?? available[0];
    if (!providerId) {
      // The latest attempt decides the verdict: a carrier error followed by no provider at all is an outage.
      last = { providerId: last?.providerId ?? "", reason: "NO_PROVIDER" };
      continue;
    }
    const result = await gateway.submit(providerId, sms, gate);
    if (result.ok) {
      return {
        kind: "submitted",
        providerId,
        providerMessageId: result.providerMessageId,
        partMessageIds: result.partMessageIds,
      };
    }
    if (result.kind === "fenced") return { kind: "taken-over" };
    if (result.kind === "permanent") return { kind: "rejected", providerId, reason: result.reason };
    if (result.mayHaveBeenSent) {
      return { kind: "unconfirmed", providerId, reason: result.reason, acceptedPartIds: result.acceptedPartIds };
    }
    failedOn.add(providerId);
    last = { providerId, reason: result.reason };
  }
  if (!last || PROVIDER_UNAVAILABLE.has(last.reason))
    return { kind: "retry-later", reason: last?.reason ?? "NO_PROVIDER" };
  return { kind: "failed", providerId: last.providerId, reason: last.reason };
}
