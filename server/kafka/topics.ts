import { z } from "zod";

// Every topic Volley uses and the envelope each one carries, shared by
// producers and consumers. Envelopes are versioned with `v`; a change to a
// version only adds optional fields so that messages already in flight stay
// readable. A breaking change is a new version in a discriminated union.

export const messageCategory = z.enum(["MARKETING", "AUTHENTICATION", "AGENT_FLOW"]);

/** One recipient of a campaign (or one API send) on its way to validation. */
export const bulkMessageV1 = z.object({
  v: z.literal(1),
  messageId: z.string().min(1).max(200),
  clientId: z.string().min(1),
  campaignId: z.string().min(1).nullable(),
  // Row number within the campaign's recipient list (1-based).
  row: z.number().int().min(1).nullable(),
  recipient: z.string().min(1).max(64),
  sender: z.string().min(1).max(20),
  template: z.string().max(5000),
  variables: z.record(z.string(), z.string()).default({}),
  category: messageCategory,
  createdAt: z.iso.datetime(),
});
export type BulkMessage = z.infer<typeof bulkMessageV1>;

type TopicSpec = {
  /** Base name; the deployed name gets KAFKA_TOPIC_PREFIX in front. */
  name: string;
  /** Dead-letter topic for payloads its consumers cannot process. */
  dlq?: string;
};

export const TOPICS = {
  bulk: { name: "bulk-topic", dlq: "bulk-topic-dlq" },
  prepaidLowBulk: { name: "prepaid-low-bulk" },
  prepaidHigh: { name: "prepaid-high" },
  postpaid: { name: "postpaid" },
  postpaidHigh: { name: "postpaid-high" },
  usageCdrLow: { name: "usage-cdr-low" },
  usageCdrHigh: { name: "usage-cdr-high" },
  usageCdrPostpaid: { name: "usage-cdr-postpaid" },
  messageStatus: { name: "message-status" },
} as const satisfies Record<string, TopicSpec>;

export type TopicKey = keyof typeof TOPICS;

/** Every deployed topic name, dead-letter topics included. */
export function allTopicNames(prefix: string): string[] {
  return Object.values(TOPICS as Record<string, TopicSpec>).flatMap((t) =>
    [t.name, t.dlq].filter((n): n is string => Boolean(n)).map((n) => prefix + n),
  );
}

export function partitionsFor(
  topic: string,
  opts: { prefix: string; defaultPartitions: number; overrides: Record<string, number> },
): number {
  const base = topic.startsWith(opts.prefix) ? topic.slice(opts.prefix.length) : topic;
  return opts.overrides[base] ?? opts.defaultPartitions;
}

// Headers a dead-lettered record carries, so it can be inspected and replayed.
export const DLQ_HEADERS = {
  error: "volley-dlq-error",
  topic: "volley-dlq-topic",
  partition: "volley-dlq-partition",
  offset: "volley-dlq-offset",
  consumerGroup: "volley-dlq-group",
  at: "volley-dlq-at",
} as const;
