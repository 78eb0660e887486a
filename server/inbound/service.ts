import type { Db } from "../db";
import { KeysetQuery, pageOf } from "../keyset-page";
import type { ListRepliesInput } from "./schemas";

type Row = {
  id: string;
  client_id: string | null;
  client_name: string | null;
  in_reply_to: string | null;
  campaign_id: string | null;
  msisdn: string;
  address: string;
  body: string;
  keyword: "OPT_OUT" | "OPT_IN" | "HELP" | null;
  applied_to: { id: string; name: string }[];
  received_at: Date;
};

/** A page of the handsets' replies, newest first, with the client each answers and those its keyword applied to. */
export async function listReplies(db: Db, input: ListRepliesInput) {
  const q = new KeysetQuery();
  if (input.clientId) q.where((p) => `i.client_id = ${p}`, input.clientId);
  if (input.campaignId) q.where((p) => `i.campaign_id = ${p}`, input.campaignId);
  // A handset as stored (E.164) or as typed without its "+".
  if (input.msisdn) q.where((p) => `i.msisdn = ${p}`, input.msisdn.startsWith("+") ? input.msisdn : `+${input.msisdn}`);
  if (input.keyword === "none") q.whereSql("i.keyword IS NULL");
  else if (input.keyword) q.where((p) => `i.keyword = ${p}::"InboundKeyword"`, input.keyword);
  q.after(input.cursor, "i.received_at", "i.id");
  const limit = q.limit(input.limit);
  const { rows } = await db.pool.query<Row>(
    `SELECT i.id, i.client_id, c.name AS client_name, i.in_reply_to, i.campaign_id, i.msisdn, i.address, i.body,
            i.keyword, i.received_at,
            COALESCE((SELECT json_agg(json_build_object('id', a.id, 'name', a.name) ORDER BY a.name)
                      FROM clients a WHERE a.id = ANY(i.applied_to)), '[]') AS applied_to
     FROM inbound_messages i LEFT JOIN clients c ON c.id = i.client_id
     WHERE ${q.whereClause}
     ORDER BY i.received_at DESC, i.id DESC
     LIMIT ${limit}`,
    q.params,
  );
  const { page, nextCursor } = pageOf(rows, input.limit, (r) => ({ at: r.received_at, id: r.id }));
  return {
    items: page.map((r) => ({
      id: r.id,
      clientId: r.client_id,
      clientName: r.client_name,
      inReplyTo: r.in_reply_to,
      campaignId: r.campaign_id,
      msisdn: r.msisdn,
      address: r.address,
      body: r.body,
      keyword: r.keyword,
      appliedTo: r.applied_to,
      receivedAt: r.received_at,
    })),
    nextCursor,
  };
}

/** How a campaign's messages were answered: replies in all, and those that opted out (STOP and the like). */
export async function campaignReplyCounts(db: Db, campaignId: string) {
  const { rows } = await db.pool.query<{ replies: number; opt_outs: number }>(
    `SELECT count(*)::int AS replies, count(*) FILTER (WHERE keyword = 'OPT_OUT')::int AS opt_outs
     FROM inbound_messages WHERE campaign_id = $1`,
    [campaignId],
  );
  return { replies: rows[0]?.replies ?? 0, optOuts: rows[0]?.opt_outs ?? 0 };
}
