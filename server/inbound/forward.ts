import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { VolleyProducer } from "../kafka/client";
import { TOPICS, type InboundMessage } from "../kafka/topics";
import type { InboundSms, SettleReceipt } from "../delivery/provider";

/** The inbound-messages record of a handset's message as a provider handed it over now. */
export function inboundRecord(providerId: string, sms: InboundSms, receivedAt = new Date()): InboundMessage {
  return {
    v: 1,
    inboundId: `in-${randomUUID()}`,
    providerId,
    from: sms.from,
    to: sms.to,
    text: sms.text,
    receivedAt: receivedAt.toISOString(),
  };
}

/** Puts inbound records on inbound-messages, keyed by the handset so one person's keywords keep their order. */
export async function publishInbound(producer: VolleyProducer, topicPrefix: string, records: InboundMessage[]) {
  if (records.length === 0) return;
  await producer.send(
    topicPrefix + TOPICS.inbound.name,
    records.map((r) => ({ key: r.from, value: JSON.stringify(r) })),
  );
}

/**
 * Hands the handsets' messages arriving on the binds to inbound-messages, those of one turn of the event loop in one
 * produce, and answers the carrier only then: a message lost to a crash before that is still the carrier's to send
 * again (which may store it twice; a keyword applied twice changes nothing).
 */
export class InboundForwarder {
  private pending: { record: InboundMessage; settle: SettleReceipt }[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly producer: VolleyProducer,
    private readonly topicPrefix: string,
    private readonly log: Logger,
  ) {}

  add(providerId: string, sms: InboundSms, settle: SettleReceipt): void {
    this.pending.push({ record: inboundRecord(providerId, sms), settle });
    this.scheduled ??= setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const task = publishInbound(
      this.producer,
      this.topicPrefix,
      batch.map((b) => b.record),
    ).then(
      () => batch.forEach((b) => b.settle(true)),
      (err: unknown) => {
        this.log.warn({ err, messages: batch.length }, "inbound messages not published; the carrier will resend them");
        batch.forEach((b) => b.settle(false));
      },
    );
    this.inFlight.add(task);
    void task.finally(() => this.inFlight.delete(task));
  }

  /** Publishes what is pending and waits for every produce under way. */
  async stop(): Promise<void> {
    clearImmediate(this.scheduled);
    this.flush();
    await Promise.all(this.inFlight);
  }
}
