import type { Db } from "../db";
import { cursorOf, parseCursor } from "../messages/search";
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
  const where: string[] = ["true"];
  const params: unknown[] = [];
  const add = (sql: (p: string) => string, value: unknown) => {
    params.push(value);
    where.push(sql(`$${params.length}`));
  };
  if (input.clientId) add((p) => `i.client_id = ${p}`, input.clientId);
  if (input.campaignId) add((p) => `i.campaign_id = ${p}`, input.campaignId);
  // A handset as stored (E.164) or as typed without its "+".
  if (input.msisdn) add((p) => `i.msisdn = ${p}`, input.msisdn.startsWith("+") ? input.msisdn : `+${input.msisdn}`);
  if (input.keyword === "none") where.push("i.keyword IS NULL");
  else if (input.keyword) add((p) => `i.keyword = ${p}::"InboundKeyword"`, input.keyword);
  const after = parseCursor(input.cursor);
  if (after) {
    params.push(after.at, after.id);
    where.push(`(i.received_at, i.id) < ($${params.length - 1}, $${params.length})`);
  }
  params.push(input.limit + 1);
  const { rows } = await db.pool.query<Row>(
    `SELECT i.id, i.client_id, c.name AS client_name, i.in_reply_to, i.campaign_id, i.msisdn, i.address, i.body,
            i.keyword, i.received_at,
            COALESCE((SELECT json_agg(json_build_object('id', a.id, 'name', a.name) ORDER BY a.name)
                      FROM clients a WHERE a.id = ANY(i.applied_to)), '[]') AS applied_to
     FROM inbound_messages i LEFT JOIN clients c ON c.id = i.client_id
     WHERE ${where.join(" AND ")}
     ORDER BY i.received_at DESC, i.id DESC
     LIMIT $${params.length}`,
    params,
  );
  const page = rows.slice(0, input.limit);
  const last = page[page.length - 1];
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
    nextCursor: rows.length > input.limit && last ? cursorOf({ created_at: last.received_at, id: last.id }) : null,
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
