import type { VolleyProducer } from "../kafka/client";
import { TOPICS, type MessageStatusEvent, type MessageStatusValue } from "../kafka/topics";

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

/** One produce for the whole batch, keyed by message id like every status event. */
export async function emitStatuses(
  producer: VolleyProducer,
  prefix: string,
  events: MessageStatusEvent[],
): Promise<void> {
  await producer.send(
    prefix + TOPICS.messageStatus.name,
    events.map((e) => ({ key: e.messageId, value: JSON.stringify(e) })),
  );
}
