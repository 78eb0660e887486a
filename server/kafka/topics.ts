import { z } from "zod";
import { checkFields, ISO_DATETIME, ISO_DATETIME_MESSAGE } from "./field-checks";
import { MAX_ITEMS_PER_RECORD, packingOf, recordOfItem, unpackItems, type Unpacked } from "./packed";
import type { Packing } from "./client";

// Every topic Volley uses and the envelope each one carries, shared by
// producers and consumers. Envelopes are versioned with `v`; a change to a
// version only adds optional fields so that messages already in flight stay
// readable. A breaking change is a new version in a discriminated union.

/**
 * Records of a topic whose items travel alone (v1: `single`) or packed (v2:
 * `{ v: 2, [field]: [...] }`, see packed.ts); each packed item is a whole v1
 * item, checked on its own so that one bad item does not sink the others.
 * `wanted` lets a consumer that acts on a few of a topic's items drop the
 * others of a v2 record unread (another consumer of the topic validates them).
 */
export function singleOrPacked<S extends z.ZodObject<{ v: z.ZodLiteral<1> } & z.ZodRawShape>>(
  single: S,
  field: string,
  wanted?: (item: unknown) => boolean,
) {
  const packed = z.object({ v: z.literal(2), [field]: z.array(z.unknown()).min(1).max(MAX_ITEMS_PER_RECORD) });
  return z.discriminatedUnion("v", [single, packed]).transform((record): Unpacked<z.output<S>> => {
    if (record.v === 1) return { items: [record as z.output<S>], invalid: [] };
    const all = (record as Record<string, unknown>)[field] as unknown[];
    const items = wanted ? all.filter(wanted) : all;
    return unpackItems(
      items,
      single,
      (item) => item,
      (item) => item,
    );
  });
}

/**
 * An item of bulk-topic, a billing or send lane or message-status alone, as the v1 record it becomes when it is
 * dead-lettered out of a v2 record: keyed by its message id.
 */
export const recordByMessageId = (item: unknown) => recordOfItem(item, "messageId");

export const messageCategory = z.enum(["MARKETING", "AUTHENTICATION", "AGENT_FLOW"]);

/** One recipient of a campaign (or one API send) on its way to validation. Bounds: see field-checks.ts. */
export const bulkMessageV1 = z
  .object({
    v: z.literal(1),
    messageId: z.string(),
    clientId: z.string(),
    campaignId: z.string().nullable(),
    // Row number within the campaign's recipient list (1-based).
    row: z.number().nullable(),
    recipient: z.string(),
    sender: z.string(),
    template: z.string(),
    variables: z.record(z.string(), z.string()).default({}),
    category: messageCategory,
    createdAt: z.string(),
    // Added after v1 shipped (optional, so records in flight stay readable):
    // marketing that falls in quiet hours waits (true) or is rejected (false).
    allowDefer: z.boolean().optional(),
    // The client's answer to a handset's STOP, START or HELP (inbound/answers.ts): sent even to a number opted out
    // of the client, since a STOP is answered once to confirm it. Only Volley sets it, never a client.
    keywordAnswer: z.boolean().optional(),
  })
  .check(
    checkFields({
      text: [
        ["messageId", 1, 200],
        ["clientId", 1, Infinity],
        ["campaignId", 1, Infinity],
        ["recipient", 1, 64],
        ["sender", 1, 20],
        ["template", 0, 5000],
      ],
      patterns: [["createdAt", ISO_DATETIME, ISO_DATETIME_MESSAGE]],
      counts: [["row", 1]],
    }),
  );
export type BulkMessage = z.infer<typeof bulkMessageV1>;

/** The messages of one record on bulk-topic (invalid ones of a v2 record as they were). */
export type BulkMessageRecord = Unpacked<BulkMessage>;

/**
 * What the validator decodes: v1 (one message) or v2, the messages of one
 * launcher batch (or scheduler release) that share a partition in one record,
 * each a whole v1 message keyed by its message id.
 */
export const bulkMessageRecord = singleOrPacked(bulkMessageV1, "messages");

/** How producers pack a batch of messages for bulk-topic into v2 records (see VolleyProducer.sendPacked). */
export const bulkPacking = packingOf<BulkMessage>("messages", (message) => message.messageId);

export const messageEncoding = z.enum(["GSM7", "UCS2"]);

const E164 = /^\+[1-9]\d{6,14}$/;

/**
 * A validated message on its billing lane (prepaid-*, postpaid*) and, once
 * charged, on its send lane; keyed by message id so that one client's big
 * campaign uses every partition (and every gate and bulk-proc instance). The
 * gate reserves per message atomically, so no per-account order is needed;
 * only the CDR topics are keyed by account.
 */
export const routedMessageV1 = z
  .object({
    v: z.literal(1),
    messageId: z.string(),
    clientId: z.string(),
    accountId: z.string(),
    campaignId: z.string().nullable(),
    billingType: z.enum(["PREPAID", "POSTPAID"]),
    category: messageCategory,
    recipient: z.string(),
    sender: z.string(),
    body: z.string(),
    encoding: messageEncoding,
    segments: z.number(),
    createdAt: z.string(),
  })
  .check(
    checkFields({
      text: [
        ["messageId", 1, 200],
        ["clientId", 1, Infinity],
        ["accountId", 1, Infinity],
        ["campaignId", 1, Infinity],
        ["sender", 1, 20],
      ],
      patterns: [
        ["recipient", E164, "must be E.164"],
        ["createdAt", ISO_DATETIME, ISO_DATETIME_MESSAGE],
      ],
      counts: [["segments", 1]],
    }),
  );
export type RoutedMessage = z.infer<typeof routedMessageV1>;

/** The messages of one record on a billing or send lane (invalid ones of a v2 record as they were). */
export type RoutedMessageRecord = Unpacked<RoutedMessage>;

/**
 * What consumers of the billing and send lanes decode: v1 (one message) or
 * v2, the messages of one producer batch that share a partition in one
 * record, each a whole v1 message keyed by its message id.
 */
export const routedMessageRecord = singleOrPacked(routedMessageV1, "messages");

/** How producers pack a batch's routed messages into v2 records (see VolleyProducer.sendPacked). */
export const routedPacking = packingOf<RoutedMessage>("messages", (message) => message.messageId);

export const messageStatus = z.enum([
  "QUEUED",
  "DEFERRED",
  "ACCEPTED",
  "SUBMITTED",
  "DELIVERED",
  "UNDELIVERABLE",
  "EXPIRED",
  "REJECTED",
  "FAILED",
  "CANCELLED",
]);
export type MessageStatusValue = z.infer<typeof messageStatus>;

/**
 * A status transition emitted by any stage. The first event of a message
 * carries its content so the status writer can create the row.
 */
export const messageStatusV1 = z
  .object({
    v: z.literal(1),
    messageId: z.string(),
    status: messageStatus,
    // Machine-readable reason code (INVALID_NUMBER, OPTED_OUT, …); null when none.
    reason: z.string().nullable().default(null),
    stage: z.string(),
    at: z.string(),
    providerMessageId: z.string().optional(),
    // Added after v1 shipped (optional, so events in flight stay readable):
    // whose message it is, on delivery events that carry no content, so refunds
    // need not wait for the status writer's row to find the account.
    clientId: z.string().optional(),
    accountId: z.string().optional(),
    content: z
      .object({
        clientId: z.string(),
        campaignId: z.string().nullable(),
        recipient: z.string(),
        sender: z.string(),
        body: z.string(),
        category: messageCategory,
        encoding: messageEncoding.nullable(),
        segments: z.number(),
      })
      .check(
        checkFields({
          text: [
            ["clientId", 1, Infinity],
            ["campaignId", 1, Infinity],
            ["recipient", 1, 64],
            ["sender", 1, 20],
          ],
          counts: [["segments", 0]],
        }),
      )
      .optional(),
  })
  .check(
    checkFields({
      text: [
        ["messageId", 1, 200],
        ["reason", 0, 100],
        ["stage", 1, 50],
        ["providerMessageId", 0, 100],
        ["clientId", 1, Infinity],
        ["accountId", 1, Infinity],
      ],
      patterns: [["at", ISO_DATETIME, ISO_DATETIME_MESSAGE]],
    }),
  );
export type MessageStatusEvent = z.infer<typeof messageStatusV1>;

/** The events of one record on message-status (invalid ones of a v2 record as they were). */
export type MessageStatusRecord = Unpacked<MessageStatusEvent>;

/**
 * What consumers of message-status decode: v1 (one event) or v2, the events
 * of one producer batch that share a partition in one record (see packed.ts),
 * each a whole v1 event keyed by its message id as a v1 record would be.
 */
export const messageStatusRecord = singleOrPacked(messageStatusV1, "events");

/**
 * The statuses a packed message-status record carries, comma-separated, in this header: a consumer that wants only
 * some statuses (refunds: final ones) passes the others by without parsing them. A record without it (v1, or from an
 * older producer) is read in full.
 */
export const STATUSES_HEADER = "volley-statuses";

/** How producers pack a batch's status events into v2 records (see VolleyProducer.sendPacked). */
export const statusPacking: Packing<MessageStatusEvent> = {
  ...packingOf<MessageStatusEvent>("events", (event) => event.messageId),
  headersOf: (events) => ({ [STATUSES_HEADER]: [...new Set(events.map((e) => e.status))].join(",") }),
};

/** Integer minor units travel as decimal strings: JSON numbers lose precision past 2^53. */
const MINOR_UNITS_TEXT = /^-?\d{1,30}$/;
const MINOR_UNITS_MESSAGE = "must be an integer amount in minor units";
const minorUnitsText = z.string().regex(MINOR_UNITS_TEXT, MINOR_UNITS_MESSAGE);
export const minorUnits = minorUnitsText.transform((s) => BigInt(s));

/**
 * The fields of a CDR, whichever envelope carries it: their types here, their
 * bounds in checkCdrBounds (see field-checks.ts; cdr-envelopes.test.ts holds
 * it to the per-field schema).
 */
const usageCdrFields = {
  cdrId: z.string(),
  messageId: z.string(),
  accountId: z.string(),
  clientId: z.string(),
  campaignId: z.string().nullable(),
  category: messageCategory,
  recipient: z.string(),
  segments: z.number(),
  unitPrice: z.string(),
  amount: z.string(),
  currency: z.string(),
  // Added after v1 shipped: ISO 3166 region of the recipient, for invoices.
  destination: z.string().optional(),
};

/** The bounds of a CDR's fields (see field-checks.ts). */
const checkCdrBounds = checkFields({
  text: [
    ["cdrId", 1, 200],
    ["messageId", 1, 200],
    ["accountId", 1, Infinity],
    ["clientId", 1, Infinity],
    ["campaignId", 1, Infinity],
    ["recipient", 1, 64],
    ["currency", 3, 3],
    ["destination", 2, 3],
  ],
  patterns: [
    ["unitPrice", MINOR_UNITS_TEXT, MINOR_UNITS_MESSAGE],
    ["amount", MINOR_UNITS_TEXT, MINOR_UNITS_MESSAGE],
  ],
  counts: [["segments", 1]],
});

// A CDR is decoded once and lives until its batch is debited: tens of
// thousands are in memory at once, decoded a hundred thousand a second. So it
// is built in one allocation, one shape for all (destination present even when
// undefined), and a message id equal to the CDR id (the usual case) shares its string.
function asCdr(cdr: z.output<typeof packedCdr>, at: string) {
  return {
    v: 1 as const,
    cdrId: cdr.cdrId,
    messageId: cdr.messageId === cdr.cdrId ? cdr.cdrId : cdr.messageId,
    accountId: cdr.accountId,
    clientId: cdr.clientId,
    campaignId: cdr.campaignId,
    category: cdr.category,
    recipient: cdr.recipient,
    segments: cdr.segments,
    unitPrice: BigInt(cdr.unitPrice),
    amount: BigInt(cdr.amount),
    currency: cdr.currency,
    destination: cdr.destination,
    at,
  };
}

const packedCdr = z.object(usageCdrFields).check(checkCdrBounds);

const usageCdrV1Object = z.object({ v: z.literal(1), ...usageCdrFields, at: z.iso.datetime() }).check(checkCdrBounds);

/**
 * A usage record (CDR): one charge for one message, keyed by account on the
 * CDR topics so that one account is debited by one consumer at a time. The
 * id is the message id: a replayed CDR is the same charge.
 */
export const usageCdrV1 = usageCdrV1Object.transform((cdr) => asCdr(cdr, cdr.at));
export type UsageCdr = z.infer<typeof usageCdrV1>;
/** What producers write: money as strings. */
export type UsageCdrWire = z.input<typeof usageCdrV1>;

export type PackedCdrWire = z.input<typeof packedCdr>;

/**
 * v2: the CDRs of one gate batch that share a partition, in one record (see
 * packed.ts), all made at `at`; each keyed by its account as a v1 record would be.
 */
export const usageCdrBatchV2 = z.object({
  v: z.literal(2),
  at: z.iso.datetime(),
  cdrs: z.array(z.unknown()).min(1).max(MAX_ITEMS_PER_RECORD),
});

/** The CDRs of one record on a CDR topic (invalid ones of a v2 record stamped v1 with the record's time). */
export type UsageCdrRecord = Unpacked<UsageCdr>;

/** What consumers of the CDR topics decode: v1 (one CDR) or v2 (a batch). */
export const usageCdrRecord = z
  .discriminatedUnion("v", [usageCdrV1Object, usageCdrBatchV2])
  .transform((record): UsageCdrRecord => {
    if (record.v === 1) return { items: [asCdr(record, record.at)], invalid: [] };
    const { at } = record;
    return unpackItems(
      record.cdrs,
      packedCdr,
      (cdr) => asCdr(cdr, at),
      (item) => (typeof item === "object" && item !== null ? { ...item, v: 1, at } : item),
    );
  });

/** How producers pack the CDRs of one batch, all made at `at`, into v2 records (see VolleyProducer.sendPacked). */
export const cdrPacking = (at: string) => packingOf<PackedCdrWire>("cdrs", (cdr) => cdr.accountId, { at });

/** A CDR as a v1 record, the form a dead-lettered CDR of a v2 batch takes (replayable on its own). */
export function usageCdrV1Json(cdr: UsageCdr | UsageCdrWire): string {
  return JSON.stringify({ ...cdr, unitPrice: cdr.unitPrice.toString(), amount: cdr.amount.toString() });
}

/** Billing events for other systems (alerts, CRM); Volley itself only produces them. */
export const billingEventV1 = z.discriminatedUnion("type", [
  z.object({
    v: z.literal(1),
    type: z.literal("LOW_BALANCE"),
    eventId: z.string().min(1),
    accountId: z.string().min(1),
    clientId: z.string().min(1),
    currency: z.string().length(3),
    balance: minorUnits,
    threshold: minorUnits,
    at: z.iso.datetime(),
  }),
]);
export type BillingEvent = z.infer<typeof billingEventV1>;
export type BillingEventWire = z.input<typeof billingEventV1>;

/**
 * A message a handset sent to one of the clients' numbers or sender ids (mobile-originated: a reply, a STOP), as a
 * provider handed it over. Keyed by the handset's number, so one person's STOP and a later START are applied in order.
 */
export const inboundMessageV1 = z
  .object({
    v: z.literal(1),
    // Made when the provider's deliver_sm (or webhook call) arrives: a redelivered record is stored once.
    inboundId: z.string(),
    providerId: z.string(),
    // The handset's number as the carrier sent it, and the address it wrote to (a client's number or sender id).
    from: z.string(),
    to: z.string(),
    text: z.string(),
    receivedAt: z.string(),
  })
  .check(
    checkFields({
      text: [
        ["inboundId", 1, 100],
        ["providerId", 1, 100],
        ["from", 1, 32],
        ["to", 1, 32],
        ["text", 0, 2_000],
      ],
      patterns: [["receivedAt", ISO_DATETIME, ISO_DATETIME_MESSAGE]],
    }),
  );
export type InboundMessage = z.infer<typeof inboundMessageV1>;

type TopicSpec = {
  /** Base name; the deployed name gets KAFKA_TOPIC_PREFIX in front. */
  name: string;
  /** Dead-letter topic for payloads its consumers cannot process. */
  dlq?: string;
};

// Every consumed topic has its stage's dead-letter topic beside it.
export const TOPICS = {
  bulk: { name: "bulk-topic", dlq: "bulk-topic-dlq" },
  prepaidLowBulk: { name: "prepaid-low-bulk", dlq: "prepaid-low-bulk-dlq" },
  prepaidHigh: { name: "prepaid-high", dlq: "prepaid-high-dlq" },
  postpaid: { name: "postpaid", dlq: "postpaid-dlq" },
  postpaidHigh: { name: "postpaid-high", dlq: "postpaid-high-dlq" },
  usageCdrLow: { name: "usage-cdr-low", dlq: "usage-cdr-low-dlq" },
  usageCdrHigh: { name: "usage-cdr-high", dlq: "usage-cdr-high-dlq" },
  usageCdrPostpaid: { name: "usage-cdr-postpaid", dlq: "usage-cdr-postpaid-dlq" },
  messageStatus: { name: "message-status", dlq: "message-status-dlq" },
  // Charged (prepaid) or rated (postpaid) messages on their way to bulk-proc.
  sendHigh: { name: "send-high", dlq: "send-high-dlq" },
  sendLow: { name: "send-low", dlq: "send-low-dlq" },
  // Replies and keywords (STOP, START) from handsets, from bulk-proc's binds and the HTTP providers' webhooks.
  inbound: { name: "inbound-messages", dlq: "inbound-messages-dlq" },
  // Produced for the outside world (no consumer in Volley, so no dead-letter topic).
  billingEvents: { name: "billing-events" },
} as const satisfies Record<string, TopicSpec>;

/** Every dead-letter topic (base names), for the recorder and the console. */
export function deadLetterTopics(): string[] {
  return Object.values(TOPICS as Record<string, TopicSpec>).flatMap((t) => (t.dlq ? [t.dlq] : []));
}

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

// Set on a record an operator replayed from the dead letters: the id of the
// dead_letters row it came from, so a record that fails again can be traced.
export const REPLAY_HEADER = "volley-replay-of";
