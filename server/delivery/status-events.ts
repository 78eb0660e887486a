import type { VolleyProducer } from "../kafka/client";
import { statusPacking, TOPICS, type MessageStatusEvent, type MessageStatusValue } from "../kafka/topics";

export const DELIVERY_STAGE = "bulk-proc";

// The events of one group of answers share one Date: its text is made once, not once per event.
let lastAt: Date | undefined;
let lastAtText = "";

function atText(at: Date): string {
  if (at !== lastAt) {
    lastAt = at;
    lastAtText = at.toISOString();
  }
  return lastAtText;
}

/** One shape for every delivery event (absent fields undefined, which the JSON leaves out), not a spread of `extra`. */
export function deliveryStatus(
  messageId: string,
  status: MessageStatusValue,
  reason: string | null,
  extra: { providerMessageId?: string; clientId?: string; accountId?: string } = {},
  at = new Date(),
): MessageStatusEvent {
  return {
    v: 1,
    messageId,
    status,
    reason,
    stage: DELIVERY_STAGE,
    at: atText(at),
    providerMessageId: extra.providerMessageId,
    clientId: extra.clientId,
    accountId: extra.accountId,
  };
}

/** One produce for the whole batch, packed per partition of the message ids (see packed.ts). */
export async function emitStatuses(
  producer: VolleyProducer,
  prefix: string,
  events: MessageStatusEvent[],
): Promise<void> {
  await producer.sendPacked(prefix + TOPICS.messageStatus.name, statusPacking, events);
}
