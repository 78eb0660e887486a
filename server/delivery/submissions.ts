import type { Pool } from "pg";
import type { RoutedMessage } from "../kafka/topics";

// The submissions table: what bulk-proc has done with each message, written before the carrier sees it, so that a
// crash or a rebalance never leads to a second submit. Every statement handles a whole batch.

export type SubmissionState = "PENDING" | "SUBMITTING" | "SUBMITTED" | "UNCONFIRMED" | "FAILED";

export type SubmissionRow = {
  messageId: string;
  state: SubmissionState;
  providerMessageId: string | null;
  /** For FAILED: "<final status> <reason>" (e.g. "REJECTED ESME_RSUBMITFAIL"), so the event can be re-emitted. */
  lastError: string | null;
  validUntil: Date;
};

type Row = {
  message_id: string;
  state: SubmissionState;
  provider_message_id: string | null;
  last_error: string | null;
  valid_until: Date;
};

const toRow = (r: Row): SubmissionRow => ({
  messageId: r.message_id,
  state: r.state,
  providerMessageId: r.provider_message_id,
  lastError: r.last_error,
  validUntil: r.valid_until,
});

const COLUMNS = "message_id, state, provider_message_id, last_error, valid_until";

export async function readSubmissions(pool: Pool, ids: string[]): Promise<Map<string, SubmissionRow>> {
  const { rows } = await pool.query<Row>(`SELECT ${COLUMNS} FROM submissions WHERE message_id = ANY($1::text[])`, [
    ids,
  ]);
  return new Map(rows.map((r) => [r.message_id, toRow(r)]));
}

/** Until when a message may still be submitted: its creation plus the validity period. */
export const validUntilOf = (m: RoutedMessage, validitySeconds: number): Date =>
  new Date(Date.parse(m.createdAt) + validitySeconds * 1000);

/**
 * Every message's row, inserted once: claimed for its provider at once (SUBMITTING) where `claimFor` names one (the
 * message is about to be submitted), PENDING otherwise; the stored one for the others (read only for those the
 * insert found there: on the normal path, a batch of new messages costs one statement and no claim after it).
 * `existing` holds the rows that were there before this call (a redelivery, or a rebalance's other worker).
 */
export async function recordSubmissions(
  pool: Pool,
  messages: RoutedMessage[],
  validitySeconds: number,
  /** Per message (same order): the provider it is claimed for, or null to leave it PENDING. */
  claimFor: (string | null)[] = [],
): Promise<{ inserted: Map<string, SubmissionRow>; existing: Map<string, SubmissionRow> }> {
  if (messages.length === 0) return { inserted: new Map(), existing: new Map() };
  const validUntil = messages.map((m) => validUntilOf(m, validitySeconds));
  // Only the ids come back: a new row is what was just written, so it is built here rather than parsed out of the
  // result (a timestamp and four more columns per message).
  const { rows } = await pool.query<{ message_id: string }>(
    `INSERT INTO submissions (message_id, client_id, account_id, state, provider_id, attempts, recipient, sender,
                             valid_until)
     SELECT id, client_id, account_id, CASE WHEN pid IS NULL THEN 'PENDING' ELSE 'SUBMITTING' END::"SubmissionState",
            pid, (pid IS NOT NULL)::int, recipient, sender, valid_until
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::text[])
          AS t(id, client_id, account_id, recipient, sender, valid_until, pid)
     ON CONFLICT (message_id) DO NOTHING
     RETURNING message_id`,
    [
      messages.map((m) => m.messageId),
      messages.map((m) => m.clientId),
      messages.map((m) => m.accountId),
      messages.map((m) => m.recipient),
      messages.map((m) => m.sender),
      validUntil.map((d) => d.toISOString()),
      messages.map((_, i) => claimFor[i] ?? null),
    ],
  );
  const index = new Map(messages.map((m, i) => [m.messageId, i]));
  const inserted = new Map<string, SubmissionRow>();
  for (const { message_id: id } of rows) {
    const i = index.get(id)!;
    inserted.set(id, {
      messageId: id,
      state: claimFor[i] ? "SUBMITTING" : "PENDING",
      providerMessageId: null,
      lastError: null,
      validUntil: validUntil[i]!,
    });
  }
  const found = messages.map((m) => m.messageId).filter((id) => !inserted.has(id));
  const existing = found.length > 0 ? await readSubmissions(pool, found) : new Map<string, SubmissionRow>();
  return { inserted, existing };
}

/** Found SUBMITTING at batch start: its worker died mid-submit, the carrier may have it. Never resubmitted. */
export async function markUnconfirmed(pool: Pool, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await pool.query(
    `UPDATE submissions SET state = 'UNCONFIRMED', unconfirmed = true, last_error = 'WORKER_LOST', updated_at = now()
     WHERE message_id = ANY($1::text[]) AND state = 'SUBMITTING'`,
    [ids],
  );
}

/** PENDING → SUBMITTING for the messages about to be handed to a provider; returns the ids this worker claimed. */
export async function claimForSubmit(pool: Pool, claims: { messageId: string; providerId: string }[]) {
  if (claims.length === 0) return new Set<string>();
  const { rows } = await pool.query<{ message_id: string }>(
    `UPDATE submissions s SET state = 'SUBMITTING', provider_id = c.pid, attempts = s.attempts + 1, updated_at = now()
     FROM unnest($1::text[], $2::text[]) AS c(id, pid)
     WHERE s.message_id = c.id AND s.state = 'PENDING'
     RETURNING s.message_id`,
    [claims.map((c) => c.messageId), claims.map((c) => c.providerId)],
  );
  return new Set(rows.map((r) => r.message_id));
}

export type SubmissionOutcome = {
  messageId: string;
  state: Exclude<SubmissionState, "SUBMITTING">;
  providerId: string | null;
  providerMessageId: string | null;
  error: string | null;
};

export type PartMapping = { providerId: string; providerMessageId: string; messageId: string };

/**
 * Every message's outcome, and the provider ids of the segments it sent, in one statement. PENDING (not sent, try
 * again later) only undoes this worker's own claim; a SUBMITTED from a live worker also replaces an UNCONFIRMED mark
 * another worker put on it during a rebalance. One statement, so a worker killed between the two can't leave a
 * message SUBMITTED without its mapping: no receipt could ever be matched to it (the recipient fallback only looks
 * at UNCONFIRMED ones) and it would end EXPIRED although the carrier has it.
 */
export async function writeOutcomes(
  pool: Pool,
  outcomes: SubmissionOutcome[],
  mappings: PartMapping[] = [],
): Promise<void> {
  if (outcomes.length === 0 && mappings.length === 0) return;
  await pool.query(
    `WITH mapped AS (
       INSERT INTO provider_messages (provider_id, provider_message_id, message_id)
       SELECT * FROM unnest($6::text[], $7::text[], $8::text[])
       ON CONFLICT DO NOTHING
     )
     UPDATE submissions s SET
       state = u.state::"SubmissionState",
       unconfirmed = u.state = 'UNCONFIRMED',
       provider_id = COALESCE(u.pid, s.provider_id),
       provider_message_id = COALESCE(u.pmid, s.provider_message_id),
       last_error = u.err,
       submitted_at = CASE WHEN u.state = 'SUBMITTED' THEN now() ELSE s.submitted_at END,
       updated_at = now()
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u(id, state, pid, pmid, err)
     WHERE s.message_id = u.id
       AND ((u.state = 'PENDING' AND s.state = 'SUBMITTING')
         OR (u.state <> 'PENDING' AND s.state IN ('PENDING', 'SUBMITTING', 'UNCONFIRMED')))`,
    [
      outcomes.map((o) => o.messageId),
      outcomes.map((o) => o.state),
      outcomes.map((o) => o.providerId),
      outcomes.map((o) => o.providerMessageId),
      outcomes.map((o) => o.error),
      mappings.map((m) => m.providerId),
      mappings.map((m) => m.providerMessageId),
      mappings.map((m) => m.messageId),
    ],
  );
}
