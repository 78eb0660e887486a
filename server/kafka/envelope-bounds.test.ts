import { describe, expect, it } from "vitest";
import { z } from "zod";
import { issuesText } from "./packed";
import {
  bulkMessageRecord,
  bulkMessageV1,
  messageCategory,
  messageEncoding,
  messageStatus,
  messageStatusRecord,
  messageStatusV1,
  routedMessageRecord,
  routedMessageV1,
} from "./topics";

// What the hot envelopes' fields must be, said field by field as zod would: the envelopes check the same bounds in
// one pass over the object (field-checks.ts), for speed. Each must accept and refuse exactly what these do.
const byField = {
  bulk: z.object({
    v: z.literal(1),
    messageId: z.string().min(1).max(200),
    clientId: z.string().min(1),
    campaignId: z.string().min(1).nullable(),
    row: z.number().int().min(1).nullable(),
    recipient: z.string().min(1).max(64),
    sender: z.string().min(1).max(20),
    template: z.string().max(5000),
    variables: z.record(z.string(), z.string()).default({}),
    category: messageCategory,
    createdAt: z.iso.datetime(),
    allowDefer: z.boolean().optional(),
  }),
  routed: z.object({
    v: z.literal(1),
    messageId: z.string().min(1).max(200),
    clientId: z.string().min(1),
    accountId: z.string().min(1),
    campaignId: z.string().min(1).nullable(),
    billingType: z.enum(["PREPAID", "POSTPAID"]),
    category: messageCategory,
    recipient: z.string().regex(/^\+[1-9]\d{6,14}$/),
    sender: z.string().min(1).max(20),
    body: z.string(),
    encoding: messageEncoding,
    segments: z.number().int().min(1),
    createdAt: z.iso.datetime(),
  }),
  status: z.object({
    v: z.literal(1),
    messageId: z.string().min(1).max(200),
    status: messageStatus,
    reason: z.string().max(100).nullable().default(null),
    stage: z.string().min(1).max(50),
    at: z.iso.datetime(),
    providerMessageId: z.string().max(100).optional(),
    clientId: z.string().min(1).optional(),
    accountId: z.string().min(1).optional(),
    content: z
      .object({
        clientId: z.string().min(1),
        campaignId: z.string().min(1).nullable(),
        recipient: z.string().min(1).max(64),
        sender: z.string().min(1).max(20),
        body: z.string(),
        category: messageCategory,
        encoding: messageEncoding.nullable(),
        segments: z.number().int().min(0),
      })
      .optional(),
  }),
};

const at = "2026-12-05T08:00:00.000Z";
const times = [
  at,
  "2026-12-05T08:00:00Z",
  "2026-12-05T08:00:00.123456Z",
  "2026-02-30T08:00:00Z",
  "2026-12-05",
  "x",
  "",
];
const ids = ["", "m", "m".repeat(200), "m".repeat(201)];
const nonEmpty = ["", "c", "c".repeat(5_000)];
const counts = [0, 1, 3, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "2"];

const bulk = {
  v: 1,
  messageId: "m-1",
  clientId: "client-1",
  campaignId: "camp-1",
  row: 3,
  recipient: "+447911123456",
  sender: "ACME",
  template: "Hi {{name}}",
  variables: { name: "Ann" },
  category: "MARKETING",
  createdAt: at,
};
const routed = {
  v: 1,
  messageId: "m-1",
  clientId: "client-1",
  accountId: "acc-1",
  campaignId: null,
  billingType: "PREPAID",
  category: "AUTHENTICATION",
  recipient: "+447911123456",
  sender: "ACME",
  body: "Your code is 1234",
  encoding: "GSM7",
  segments: 1,
  createdAt: at,
};
const content = {
  clientId: "client-1",
  campaignId: "camp-1",
  recipient: "+447911123456",
  sender: "ACME",
  body: "Hi Ann",
  category: "MARKETING",
  encoding: "GSM7",
  segments: 1,
};
const status = {
  v: 1,
  messageId: "m-1",
  status: "ACCEPTED",
  reason: null,
  stage: "validator",
  at,
  providerMessageId: "p-1",
  clientId: "client-1",
  accountId: "acc-1",
  content,
};

type Case = { path: string; value: unknown; item: Record<string, unknown> };

function cases(base: Record<string, unknown>, variants: Record<string, unknown[]>): Case[] {
  return Object.entries(variants).flatMap(([path, values]) =>
    values.map((value) => {
      const [field, inner] = path.split(".") as [string, string | undefined];
      const item = inner
        ? { ...base, [field]: { ...(base[field] as Record<string, unknown>), [inner]: value } }
        : { ...base, [field]: value };
      return { path, value, item };
    }),
  );
}

const envelopes = [
  {
    name: "bulk-topic message",
    schema: bulkMessageV1,
    record: bulkMessageRecord,
    field: "messages",
    byField: byField.bulk,
    base: bulk,
    cases: cases(bulk, {
      messageId: ids,
      clientId: ["", "c", null],
      campaignId: [null, "", "k", undefined],
      row: [null, ...counts],
      recipient: ["", "+", "9".repeat(64), "9".repeat(65)],
      sender: ["", "A", "A".repeat(20), "A".repeat(21)],
      template: ["", "t".repeat(5000), "t".repeat(5001)],
      createdAt: times,
    }),
  },
  {
    name: "routed message",
    schema: routedMessageV1,
    record: routedMessageRecord,
    field: "messages",
    byField: byField.routed,
    base: routed,
    cases: cases(routed, {
      messageId: ids,
      clientId: nonEmpty,
      accountId: [...nonEmpty, undefined],
      campaignId: [null, "", "k"],
      recipient: ["+447911123456", "447911123456", "+0447911123", "+123456", "+1234567", "+1".repeat(9), "", 44],
      sender: ["", "A", "A".repeat(20), "A".repeat(21)],
      segments: counts,
      createdAt: times,
    }),
  },
  {
    name: "status event",
    schema: messageStatusV1,
    record: messageStatusRecord,
    field: "events",
    byField: byField.status,
    base: status,
    cases: cases(status, {
      messageId: ids,
      reason: [null, undefined, "", "r".repeat(100), "r".repeat(101), 5],
      stage: ["", "s", "s".repeat(50), "s".repeat(51)],
      at: times,
      providerMessageId: [undefined, "", "p".repeat(100), "p".repeat(101), null],
      clientId: [undefined, "", "c"],
      accountId: [undefined, "", "a"],
      content: [undefined, null, {}],
      "content.clientId": nonEmpty,
      "content.campaignId": [null, "", "k", undefined],
      "content.recipient": ["", "+", "9".repeat(64), "9".repeat(65)],
      "content.sender": ["", "A", "A".repeat(20), "A".repeat(21)],
      "content.encoding": [null, "UCS2", "utf8"],
      "content.segments": counts,
    }),
  },
];

describe.each(envelopes)("$name field bounds", (envelope) => {
  it("accepts and refuses exactly what the field-by-field schema does, naming the field at fault", () => {
    let refused = 0;
    for (const { path, value, item } of envelope.cases) {
      const label = `${path} = ${JSON.stringify(value) ?? String(value)}`;
      const expected = envelope.byField.safeParse(item);
      const actual = envelope.schema.safeParse(item);
      expect(actual.success, label).toBe(expected.success);
      if (expected.success) {
        expect(actual.data, label).toEqual(expected.data);
        continue;
      }
      refused++;
      expect(issuesText(actual.error!), label).toMatch(new RegExp(`^${path.replace(".", "\\.")}[.:]`));
      // Packed with a good item: the bad one is set apart on its own, the good one goes on.
      const packed = envelope.record.parse({ v: 2, [envelope.field]: [envelope.base, item] });
      expect(packed.items, label).toHaveLength(1);
      expect(
        packed.invalid.map((i) => i.item),
        label,
      ).toEqual([item]);
    }
    expect(refused).toBeGreaterThan(15);
  });

  it("takes a good item as it is", () => {
    expect(envelope.schema.parse(envelope.base)).toEqual(envelope.byField.parse(envelope.base));
  });
});
