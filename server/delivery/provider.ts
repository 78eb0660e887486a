import type { BindState, SubmitResult } from "./smpp/client";
import type { OutboundSms } from "./smpp/encode";
import type { InboundSms } from "./smpp/mobile-originated";
import type { DeliveryReceipt } from "./smpp/receipts";

// What bulk-proc needs from a carrier connection, whatever the protocol: the
// SMPP bind (smpp/client.ts) and the HTTP adapter (http/) both provide it.
// Receipts reach bulk-proc as `receipt` events (SMPP: deliver_sm on the
// bind) or through the provider's webhook (HTTP), which calls
// handleProviderReceipts (receipts.ts) with the same DeliveryReceipt shape.

export type { BindState, DeliveryReceipt, InboundSms, OutboundSms, SubmitResult };

/**
 * Answers the carrier for one receipt: true once it is applied (its status is on message-status), false when it could
 * not be, so the carrier keeps it and sends it again. Until then the carrier holds the receipt.
 */
export type SettleReceipt = (applied: boolean) => void;

/** Live figures a provider reports, shown on the console's providers page. */
export type ProviderStatus = {
  state: BindState;
  /** Sessions configured and bound (SMPP; an HTTP provider counts as one). */
  binds: number;
  bindsBound: number;
  windowInUse: number;
  /** All sessions' windows together. */
  windowSize: number;
  maxTps: number;
  queued: number;
};

/**
 * Called by a provider just before a message's first write to the carrier (fence.ts): `acquire` resolves false when
 * the message must not be sent (another worker took it over); `release` after a refusal that proves the carrier does
 * not have it (throttling), before the retry acquires again.
 */
export type WriteGate = { acquire(): Promise<boolean>; release(): void };

export interface DeliveryProvider {
  /** providers.id */
  readonly id: string;
  readonly name: string;
  readonly kind: "SMPP" | "HTTP";
  start(): void;
  /** Resolves with the outcome; never rejects for carrier errors (see SubmitResult). */
  submit(message: OutboundSms, gate?: WriteGate): Promise<SubmitResult>;
  status(): ProviderStatus;
  on(event: "receipt", listener: (receipt: DeliveryReceipt, settle: SettleReceipt) => void): unknown;
  /** A handset's message on the bind (SMPP); an HTTP provider's come through its inbound webhook instead. */
  on(event: "inbound", listener: (sms: InboundSms, settle: SettleReceipt) => void): unknown;
  stop(drainMs?: number): Promise<void>;
}
