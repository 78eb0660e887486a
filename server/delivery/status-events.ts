import type { VolleyProducer } from "../kafka/client";
import { statusPacking, TOPICS, type MessageStatusEvent, type MessageStatusValue } from "../kafka/topics";

export const DELIVERY_STAGE = "bulk-proc";

export function deliveryStatus(
  messageId: string,
  status: MessageStatusValue,
  reason: string | null,
  extra: { providerMessageId?: string; clientId?: string; accountId?: string } = {},
  at = new Date(),
): MessageStatusEvent {
  return { v: 1, messageId, status, reason, stage: DELIVERY_STAGE, at: at.toISOString(), ...extra };
}

/** One produce for the whole batch, packed per partition of the message ids (see packed.ts). */
export async function emitStatuses(
  producer: VolleyProducer,
  prefix: string,
  events: MessageStatusEvent[],
): Promise<void> {
  await producer.sendPacked(prefix + TOPICS.messageStatus.name, statusPacking, events);
}
