import type { Db } from "../db";
import type { ConsumedRecord, Rejected } from "../kafka/consumer";
import type { BulkMessage } from "../kafka/topics";
import { metrics } from "../observability/metrics";
import { normalizeRecipient } from "./phone";
import { renderTemplate } from "./template";

// First slice of the validator: checks the number and the template and
// writes each message with its status. The full stage (enrichment cache,
// opt-outs, routing to billing lanes) replaces this in the pipeline work.

export type ValidatedMessage = {
  id: string;
  clientId: string;
  campaignId: string | null;
  recipient: string;
  sender: string;
  body: string;
  category: BulkMessage["category"];
  segments: number;
  status: "ACCEPTED" | "REJECTED";
  reason: string | null;
};

export function validateMessage(m: BulkMessage, client: { defaultCountry: string }): ValidatedMessage {
  const base = {
    id: m.messageId,
    clientId: m.clientId,
    campaignId: m.campaignId,
    sender: m.sender,
    category: m.category,
  };
  const rendered = renderTemplate(m.template, m.variables);
  const body = rendered.ok ? rendered.body : m.template;
  const segments = Math.max(1, body.length <= 160 ? 1 : Math.ceil(body.length / 153));
  const phone = normalizeRecipient(m.recipient, client.defaultCountry);
  if (!phone.ok) return { ...base, recipient: m.recipient, body, segments, status: "REJECTED", reason: phone.reason };
  if (!rendered.ok) {
    return { ...base, recipient: phone.e164, body, segments, status: "REJECTED", reason: "MISSING_VARIABLE" };
  }
  return { ...base, recipient: phone.e164, body, segments, status: "ACCEPTED", reason: null };
}

/** Validates a consumed batch and writes every message in one statement. */
export async function validateBatch(db: Db, records: ConsumedRecord<BulkMessage>[]): Promise<Rejected<BulkMessage>[]> {
  const clientIds = [...new Set(records.map((r) => r.value.clientId))];
  const { rows } = await db.pool.query<{ id: string; default_country: string }>(
    "SELECT id, default_country FROM clients WHERE id = ANY($1::text[])",
    [clientIds],
  );
  const clients = new Map(rows.map((r) => [r.id, { defaultCountry: r.default_country }]));
  const rejected: Rejected<BulkMessage>[] = [];
  const validated: ValidatedMessage[] = [];
  for (const record of records) {
    const client = clients.get(record.value.clientId);
    if (!client) rejected.push({ record, error: `unknown client ${record.value.clientId}` });
    else validated.push(validateMessage(record.value, client));
  }
  await insertMessages(db, validated);
  return rejected;
}

/** Multi-row insert through unnest arrays; a redelivered message inserts nothing. */
export async function insertMessages(db: Db, messages: ValidatedMessage[]): Promise<number> {
  if (messages.length === 0) return 0;
  const cols = {
    id: [] as string[],
    clientId: [] as string[],
    campaignId: [] as (string | null)[],
    recipient: [] as string[],
    sender: [] as string[],
    body: [] as string[],
    category: [] as string[],
    segments: [] as number[],
    status: [] as string[],
    reason: [] as (string | null)[],
  };
  for (const m of messages) {
    cols.id.push(m.id);
    cols.clientId.push(m.clientId);
    cols.campaignId.push(m.campaignId);
    cols.recipient.push(m.recipient);
    cols.sender.push(m.sender);
    cols.body.push(m.body);
    cols.category.push(m.category);
    cols.segments.push(m.segments);
    cols.status.push(m.status);
    cols.reason.push(m.reason);
  }
  const result = await db.pool.query<{ status: string }>(
    `INSERT INTO messages (id, client_id, campaign_id, recipient, sender, body, category, segments, status, status_reason, final_at)
     SELECT id, client_id, campaign_id, recipient, sender, body, category, segments, status,
            status_reason, CASE WHEN status = 'REJECTED' THEN now() END
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                 $7::"MessageCategory"[], $8::int[], $9::"MessageStatus"[], $10::text[])
          AS t(id, client_id, campaign_id, recipient, sender, body, category, segments, status, status_reason)
     ON CONFLICT (id) DO NOTHING
     RETURNING status`,
    [
      cols.id,
      cols.clientId,
      cols.campaignId,
      cols.recipient,
      cols.sender,
      cols.body,
      cols.category,
      cols.segments,
      cols.status,
      cols.reason,
    ],
  );
  const written = new Map<string, number>();
  for (const row of result.rows) written.set(row.status, (written.get(row.status) ?? 0) + 1);
  for (const [status, n] of written) metrics.messagesWritten.labels(status).inc(n);
  return result.rowCount ?? 0;
}
