import { createHash, randomBytes } from "node:crypto";
import type { ApiDeps } from "../api/deps";
import { AppError } from "../errors";
import { bulkPacking, TOPICS, type BulkMessage } from "../kafka/topics";
import type { ApiKeyPrincipal } from "./auth";
import { KeysetQuery, pageOf } from "../keyset-page";
import type { ListMessagesQuery, MessageResponse, SendMessageInput } from "./schemas";

type Deps = Pick<ApiDeps, "db" | "env" | "log" | "producer">;

export const API_MESSAGE_PREFIX = "api-";

/**
 * API messages are `api-<clientId>-<22 characters>`: random, or derived from the client's reference so a retried
 * request names the same message. The prefix tells them from campaign messages (`<campaignId>-<row>`) anywhere in
 * the pipeline without a lookup, and the client id in them tells whose they are.
 */
export function apiMessageId(clientId: string, reference?: string): string {
  const suffix = reference
    ? createHash("sha256").update(`${clientId}\u0000${reference}`, "utf8").digest("base64url").slice(0, 22)
    : randomBytes(16).toString("base64url").slice(0, 22);
  return `${API_MESSAGE_PREFIX}${clientId}-${suffix}`;
}

export type SentMessage = MessageResponse & { reference: string | null; duplicate: boolean };

type MessageRow = {
  id: string;
  status: string;
  status_reason: string | null;
  recipient: string;
  sender: string;
  category: string;
  segments: number;
  encoding: "GSM7" | "UCS2" | null;
  created_at: Date;
  submitted_at: Date | null;
  final_at: Date | null;
};

const ROW_COLUMNS = `id, status, status_reason, recipient, sender, category, segments, encoding, created_at, submitted_at,
  final_at`;

function toResponse(row: MessageRow): MessageResponse {
  return {
    id: row.id,
    status: row.status,
    reason: row.status_reason,
    to: row.recipient,
    from: row.sender,
    category: row.category.toLowerCase() as MessageResponse["category"],
    // The column's default until the validator has counted them.
    segments: row.encoding ? row.segments : null,
    encoding: row.encoding,
    createdAt: row.created_at.toISOString(),
    submittedAt: row.submitted_at?.toISOString() ?? null,
    finalAt: row.final_at?.toISOString() ?? null,
  };
}

/**
 * Queues messages for the pipeline, as a campaign's launcher would: each is stored QUEUED first (so it can be read
 * back at once, and its id is taken), then published to bulk-topic; validation, billing and delivery happen there and
 * show in its status. A message whose reference was sent before is not stored again: it is answered as it stands
 * (`duplicate`), and published again only if still QUEUED (its first publish may have failed; the pipeline is
 * idempotent per message id, so a second copy changes nothing).
 */
export async function sendMessages(
  deps: Deps,
  principal: ApiKeyPrincipal,
  inputs: SendMessageInput[],
  now: Date = new Date(),
): Promise<SentMessage[]> {
  if (principal.clientStatus !== "ACTIVE") {
    throw new AppError("FORBIDDEN", "This client is suspended: it cannot send messages");
  }
  const ids = inputs.map((m) => apiMessageId(principal.clientId, m.reference));
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice) {
    const reference = inputs[ids.indexOf(twice)]!.reference;
    throw new AppError("BAD_REQUEST", `Reference '${reference}' appears twice in this batch`);
  }
  const { rows: inserted } = await deps.db.pool.query<{ id: string }>(
    `INSERT INTO messages (id, client_id, campaign_id, recipient, sender, body, category, status, created_at, updated_at)
     SELECT id, $2, NULL, recipient, sender, body, category, 'QUEUED', $3, $3
     FROM unnest($1::text[], $4::text[], $5::text[], $6::text[], $7::"MessageCategory"[])
          AS t(id, recipient, sender, body, category)
     ON CONFLICT (id) DO NOTHING
     RETURNING id`,
    [
      ids,
      principal.clientId,
      now,
      inputs.map((m) => m.to),
      inputs.map((m) => m.from),
      inputs.map((m) => m.text),
      inputs.map((m) => m.category),
    ],
  );
  const isNew = new Set(inserted.map((r) => r.id));
  const { rows } = await deps.db.pool.query<MessageRow & { client_id: string }>(
    `SELECT ${ROW_COLUMNS}, client_id FROM messages WHERE id = ANY($1::text[])`,
    [ids],
  );
  const byId = new Map(rows.map((r) => [r.id, r]));

  const toPublish: BulkMessage[] = [];
  inputs.forEach((m, i) => {
    const id = ids[i]!;
    const row = byId.get(id);
    // Ids embed the client's id, so another client's row here would be a bug, not a collision to report.
    if (!row || row.client_id !== principal.clientId) throw new Error(`message ${id} is not the caller's`);
    if (!isNew.has(id) && row.status !== "QUEUED") return;
    toPublish.push({
      v: 1,
      messageId: id,
      clientId: principal.clientId,
      campaignId: null,
      row: null,
      recipient: m.to,
      sender: m.from,
      template: m.text,
      variables: m.variables ?? {},
      category: m.category,
      createdAt: row.created_at.toISOString(),
      ...(m.allowDefer === undefined ? {} : { allowDefer: m.allowDefer }),
    });
  });

  try {
    const producer = await deps.producer();
    await producer.sendPacked(deps.env.KAFKA_TOPIC_PREFIX + TOPICS.bulk.name, bulkPacking, toPublish);
  } catch (err) {
    // Not queued after all: the new rows go, so the caller's retry (same references) starts afresh rather than
    // finding messages that nothing will ever move.
    await deps.db.pool
      .query(`DELETE FROM messages WHERE id = ANY($1::text[]) AND status = 'QUEUED'`, [[...isNew]])
      .catch((e: unknown) => deps.log.error({ err: e }, "could not remove unpublished API messages"));
    deps.log.error({ err, clientId: principal.clientId }, "could not publish API messages");
    throw new AppError("UNAVAILABLE", "Messages could not be queued; nothing was sent. Retry the request.");
  }

  return inputs.map((m, i) => {
    const id = ids[i]!;
    return { ...toResponse(byId.get(id)!), reference: m.reference ?? null, duplicate: !isNew.has(id) };
  });
}

/** One of the client's messages, by its id or by the reference it was sent with. */
export async function readMessage(
  deps: Pick<Deps, "db">,
  clientId: string,
  by: { id: string } | { reference: string },
): Promise<MessageResponse> {
  const id = "id" in by ? by.id : apiMessageId(clientId, by.reference);
  const { rows } = await deps.db.pool.query<MessageRow>(
    `SELECT ${ROW_COLUMNS} FROM messages WHERE id = $1 AND client_id = $2`,
    [id, clientId],
  );
  // Another client's message gets the same answer as a made-up id.
  if (!rows[0]) throw new AppError("NOT_FOUND", "Message not found");
  return toResponse(rows[0]);
}

/** The client's messages, newest first, a page at a time (its (client_id, created_at) index serves every page). */
export async function listMessages(deps: Pick<Deps, "db">, clientId: string, query: ListMessagesQuery) {
  const q = new KeysetQuery().where((p) => `client_id = ${p}`, clientId);
  if (query.status) q.where((p) => `status = ${p}::"MessageStatus"`, query.status);
  q.after(query.cursor, "created_at", "id");
  const limit = q.limit(query.limit);
  const { rows } = await deps.db.pool.query<MessageRow>(
    `SELECT ${ROW_COLUMNS} FROM messages WHERE ${q.whereClause}
     ORDER BY created_at DESC, id DESC LIMIT ${limit}`,
    q.params,
  );
  const { page, nextCursor } = pageOf(rows, query.limit, (r) => ({ at: r.created_at, id: r.id }));
  return {
    messages: page.map(toResponse),
    nextCursor,
  };
}
