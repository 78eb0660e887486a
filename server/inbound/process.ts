import type { InboundKeyword } from "@prisma/client";
import type { Redis } from "ioredis";
import type { PoolClient } from "pg";
import type { Logger } from "pino";
import type { Db } from "../db";
import type { InboundMessage } from "../kafka/topics";
import { optOutSetKey } from "../optouts/store";
import { normalizeRecipient } from "../validation/phone";
import type { WebhookPayload } from "../webhooks/deliveries";
import { keywordOf } from "./keywords";

export type InboundDeps = { db: Pick<Db, "pool">; redis: Redis; log: Logger };

type Attributed = {
  message: InboundMessage;
  msisdn: string;
  keyword: InboundKeyword | null;
  clientId: string | null;
  appliedTo: string[];
};

/**
 * The handset's number as messages store their recipients (E.164), so a reply finds the message it answers. Carriers
 * send it in international form without the "+" (TON 1) nearly always; anything else is kept as its digits.
 */
export function handsetNumber(raw: string): string {
  const digits = raw.replace(/^\+|^00/, "").replace(/\D/g, "");
  if (digits.length === 0) return raw.trim();
  const phone = normalizeRecipient(`+${digits}`, "US");
  return phone.ok ? phone.e164 : `+${digits}`;
}

/**
 * Stores a batch of inbound-messages and applies their keywords, in order: STOP (and the other opt-out words) opts
 * the handset out of the clients it answers, START opts it back in. The client is the one whose latest message to
 * this handset came from this address; failing that, whoever owns the address as a sender id (all of them when
 * several clients share it: the handset asked that address to stop). A global opt-out set by an operator is never
 * lifted by a START. A client with a webhook URL gets a message.received call per reply that answers it. Rows,
 * opt-outs and webhook calls are written in one transaction (a redelivered record is stored and applied
 * once); the validator's Redis sets follow, and are set again for a redelivered batch, since a crash may have come
 * between the commit and them.
 */
export async function processInboundBatch(deps: InboundDeps, messages: InboundMessage[]): Promise<void> {
  if (messages.length === 0) return;
  const attributed = await attribute(deps, messages);
  const client = await deps.db.pool.connect();
  try {
    await client.query("BEGIN");
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO inbound_messages (id, provider_id, client_id, msisdn, address, body, keyword, applied_to, received_at)
       SELECT id, provider_id, client_id, msisdn, address, body, keyword, string_to_array(applied_to, ','), received_at
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::"InboundKeyword"[],
                   $8::text[], $9::timestamptz[])
            AS t(id, provider_id, client_id, msisdn, address, body, keyword, applied_to, received_at)
       ON CONFLICT (id) DO NOTHING
       RETURNING id`,
      [
        attributed.map((a) => a.message.inboundId),
        attributed.map((a) => a.message.providerId),
        attributed.map((a) => a.clientId),
        attributed.map((a) => a.msisdn),
        attributed.map((a) => a.message.to),
        attributed.map((a) => a.message.text),
        attributed.map((a) => a.keyword),
        attributed.map((a) => a.appliedTo.join(",")),
        attributed.map((a) => a.message.receivedAt),
      ],
    );
    const stored = new Set(rows.map((r) => r.id));
    await recordReplyWebhooks(
      client,
      attributed.filter((a) => stored.has(a.message.inboundId) && a.clientId !== null),
    );
    // One statement per keyword, in arrival order: a STOP and a later START of one handset end opted in.
    for (const a of attributed) {
      if (!stored.has(a.message.inboundId) || a.appliedTo.length === 0) continue;
      if (a.keyword === "OPT_OUT") {
        await client.query(
          `INSERT INTO opt_outs (id, scope, client_id, msisdn, source)
           SELECT gen_random_uuid()::text, c, c, $2, 'REPLY' FROM unnest($1::text[]) AS c
           ON CONFLICT (scope, msisdn) DO NOTHING`,
          [a.appliedTo, a.msisdn],
        );
      } else if (a.keyword === "OPT_IN") {
        await client.query("DELETE FROM opt_outs WHERE scope = ANY($1::text[]) AND msisdn = $2", [
          a.appliedTo,
          a.msisdn,
        ]);
      }
    }
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
  const pipeline = deps.redis.pipeline();
  for (const a of attributed) {
    for (const clientId of a.appliedTo) {
      if (a.keyword === "OPT_OUT") pipeline.sadd(optOutSetKey(clientId), a.msisdn);
      else if (a.keyword === "OPT_IN") pipeline.srem(optOutSetKey(clientId), a.msisdn);
    }
  }
  if (pipeline.length > 0) {
    for (const [err] of (await pipeline.exec()) ?? []) if (err) throw err;
  }
  const applied = attributed.filter((a) => a.appliedTo.length > 0 && a.keyword !== "HELP" && a.keyword !== null);
  if (applied.length > 0) deps.log.info({ keywords: applied.length }, "opt-out keywords applied");
}

/**
 * A message.received webhook call per reply that answers a client with a webhook URL, in the outbox the webhooks
 * worker sends from (its id is the reply's: stored once).
 */
async function recordReplyWebhooks(client: PoolClient, replies: Attributed[]): Promise<void> {
  if (replies.length === 0) return;
  await client.query(
    `INSERT INTO webhook_deliveries (id, client_id, message_id, status, payload)
     SELECT u.id, u.client_id, u.id, NULL, u.payload
     FROM unnest($1::text[], $2::text[], $3::jsonb[]) AS u(id, client_id, payload)
     JOIN clients c ON c.id = u.client_id AND c.webhook_url IS NOT NULL
     ON CONFLICT (id) DO NOTHING`,
    [
      replies.map((r) => r.message.inboundId),
      replies.map((r) => r.clientId),
      replies.map((r) => {
        const payload: WebhookPayload = {
          type: "message.received",
          replyId: r.message.inboundId,
          from: r.msisdn,
          to: r.message.to,
          text: r.message.text,
          keyword: r.keyword,
          at: r.message.receivedAt,
        };
        return JSON.stringify(payload);
      }),
    ],
  );
}

/** Each message's handset number, keyword, the client it answers and the clients its keyword applies to. */
async function attribute(deps: InboundDeps, messages: InboundMessage[]): Promise<Attributed[]> {
  const msisdns = messages.map((m) => handsetNumber(m.from));
  // The address as digits or as written: sender ids and messages may store a number with or without its "+".
  const { rows } = await deps.db.pool.query<{ i: string; replied_to: string | null; owners: string[] }>(
    `SELECT u.i,
            (SELECT m.client_id FROM messages m
             WHERE m.recipient = u.msisdn AND ltrim(m.sender, '+') = ltrim(u.address, '+')
             ORDER BY m.created_at DESC LIMIT 1) AS replied_to,
            ARRAY(SELECT DISTINCT s.client_id FROM sender_ids s
                  WHERE ltrim(s.value, '+') = ltrim(u.address, '+') ORDER BY 1) AS owners
     FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(msisdn, address, i)`,
    [msisdns, messages.map((m) => m.to)],
  );
  const byIndex = new Map(rows.map((r) => [Number(r.i) - 1, r]));
  return messages.map((message, i) => {
    const row = byIndex.get(i);
    const owners = row?.owners ?? [];
    const repliedTo = row?.replied_to ?? null;
    const keyword = keywordOf(message.text);
    const clients = repliedTo ? [repliedTo] : owners;
    return {
      message,
      msisdn: msisdns[i]!,
      keyword,
      clientId: repliedTo ?? (owners.length === 1 ? owners[0]! : null),
      appliedTo: keyword === "OPT_OUT" || keyword === "OPT_IN" ? clients : [],
    };
  });
}
