import type { InboundKeyword } from "@prisma/client";
import type { Redis } from "ioredis";
import type { PoolClient } from "pg";
import type { Logger } from "pino";
import type { Db } from "../db";
import type { VolleyProducer } from "../kafka/client";
import { bulkPacking, TOPICS, type BulkMessage, type InboundMessage } from "../kafka/topics";
import { metrics } from "../observability/metrics";
import { optOutSetKey } from "../optouts/store";
import { normalizeRecipient } from "../validation/phone";
import type { WebhookPayload } from "../webhooks/deliveries";
import { keywordOf } from "./keywords";

export type InboundDeps = {
  db: Pick<Db, "pool">;
  redis: Redis;
  log: Logger;
  producer: VolleyProducer;
  topicPrefix: string;
};

type Attributed = {
  message: InboundMessage;
  msisdn: string;
  keyword: InboundKeyword | null;
  clientId: string | null;
  /** The client's message it answers, and that message's campaign. */
  inReplyTo: string | null;
  campaignId: string | null;
  sender: string;
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
 * this handset came from this address (of those that reached a carrier: a handset answers what it got); failing that,
 * whoever owns the address as a sender id (all of them when several clients share it: the handset asked that address
 * to stop). A global opt-out set by an operator is never lifted by a START. A client with a webhook URL gets a
 * message.received call per reply that answers it, and its answer to a keyword is sent back (sendKeywordAnswers).
 * Rows, opt-outs and webhook calls are written in one transaction (a redelivered record is stored and applied once);
 * the validator's Redis sets follow, and are set again for a redelivered batch, since a crash may have come between
 * the commit and them.
 */
export async function processInboundBatch(deps: InboundDeps, messages: InboundMessage[]): Promise<void> {
  if (messages.length === 0) return;
  const attributed = await attribute(deps, messages);
  let stored = new Set<string>();
  const client = await deps.db.pool.connect();
  try {
    await client.query("BEGIN");
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO inbound_messages (id, provider_id, client_id, in_reply_to, campaign_id, msisdn, address, body,
                                     keyword, applied_to, received_at)
       SELECT id, provider_id, client_id, in_reply_to, campaign_id, msisdn, address, body, keyword,
              string_to_array(applied_to, ','), received_at
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                   $9::"InboundKeyword"[], $10::text[], $11::timestamptz[])
            AS t(id, provider_id, client_id, in_reply_to, campaign_id, msisdn, address, body, keyword, applied_to,
                 received_at)
       ON CONFLICT (id) DO NOTHING
       RETURNING id`,
      [
        attributed.map((a) => a.message.inboundId),
        attributed.map((a) => a.message.providerId),
        attributed.map((a) => a.clientId),
        attributed.map((a) => a.inReplyTo),
        attributed.map((a) => a.campaignId),
        attributed.map((a) => a.msisdn),
        attributed.map((a) => a.message.to),
        attributed.map((a) => a.message.text),
        attributed.map((a) => a.keyword),
        attributed.map((a) => a.appliedTo.join(",")),
        attributed.map((a) => a.message.receivedAt),
      ],
    );
    stored = new Set(rows.map((r) => r.id));
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
  for (const a of attributed) {
    if (!stored.has(a.message.inboundId)) continue;
    const matched = a.clientId !== null || a.appliedTo.length > 0;
    metrics.inboundMessages.inc({ keyword: a.keyword ?? "none", matched: String(matched) });
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
  await sendKeywordAnswers(deps, attributed);
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
          inReplyTo: r.inReplyTo,
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
  const { rows } = await deps.db.pool.query<{
    i: string;
    replied_to: string | null;
    replied_message: string | null;
    replied_campaign: string | null;
    replied_sender: string | null;
    owners: string[];
    owned_sender: string | null;
  }>(
    `SELECT u.i, r.client_id AS replied_to, r.id AS replied_message, r.campaign_id AS replied_campaign,
            r.sender AS replied_sender,
            ARRAY(SELECT DISTINCT s.client_id FROM sender_ids s
                  WHERE ltrim(s.value, '+') = ltrim(u.address, '+') ORDER BY 1) AS owners,
            (SELECT s.value FROM sender_ids s WHERE ltrim(s.value, '+') = ltrim(u.address, '+') LIMIT 1) AS owned_sender
     FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(msisdn, address, i)
     LEFT JOIN LATERAL (
       SELECT m.id, m.client_id, m.campaign_id, m.sender FROM messages m
       WHERE m.recipient = u.msisdn AND ltrim(m.sender, '+') = ltrim(u.address, '+')
         AND m.status IN ('SUBMITTED', 'DELIVERED')
       ORDER BY m.created_at DESC LIMIT 1) r ON true`,
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
      inReplyTo: row?.replied_message ?? null,
      campaignId: row?.replied_campaign ?? null,
      // The address as the client's messages carry it (an answer goes out from it).
      sender: row?.replied_sender ?? row?.owned_sender ?? message.to,
      appliedTo: keyword === "OPT_OUT" || keyword === "OPT_IN" ? clients : [],
    };
  });
}

/** The message id of the client's answer to a reply: one per reply, however often its record is handled. */
export const answerMessageId = (inboundId: string) => `answer-${inboundId}`;

/**
 * The client's answer to each STOP, START or HELP that answers it (when it has one for that keyword), on bulk-topic
 * from the address the handset wrote to: validated, charged and delivered like any message, on the high lane
 * (agent flow), and sent even to the number a STOP just opted out. Published again when a batch is handled again
 * (the commit above may have been its last step): a message id is charged and submitted once.
 */
async function sendKeywordAnswers(deps: InboundDeps, attributed: Attributed[]): Promise<void> {
  const asked = attributed.filter((a) => a.keyword !== null && a.clientId !== null);
  if (asked.length === 0) return;
  const { rows } = await deps.db.pool.query<{
    id: string;
    stop_answer: string | null;
    start_answer: string | null;
    help_answer: string | null;
  }>("SELECT id, stop_answer, start_answer, help_answer FROM clients WHERE id = ANY($1::text[])", [
    [...new Set(asked.map((a) => a.clientId!))],
  ]);
  const answers = new Map(
    rows.map((r) => [r.id, { OPT_OUT: r.stop_answer, OPT_IN: r.start_answer, HELP: r.help_answer }]),
  );
  const now = new Date().toISOString();
  const messages: BulkMessage[] = asked.flatMap((a) => {
    const text = answers.get(a.clientId!)?.[a.keyword!];
    if (!text) return [];
    return [
      {
        v: 1,
        messageId: answerMessageId(a.message.inboundId),
        clientId: a.clientId!,
        campaignId: null,
        row: null,
        recipient: a.msisdn,
        sender: a.sender,
        template: text,
        variables: {},
        category: "AGENT_FLOW",
        createdAt: now,
        keywordAnswer: true,
      },
    ];
  });
  if (messages.length > 0) await deps.producer.sendPacked(deps.topicPrefix + TOPICS.bulk.name, bulkPacking, messages);
}
