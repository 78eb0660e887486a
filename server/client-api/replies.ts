import { z } from "zod";
import type { ApiDeps } from "../api/deps";
import { inboundKeyword } from "../inbound/schemas";
import { listReplies } from "../inbound/service";
import { authorizeApiCall } from "./auth";
import { errorResponse, jsonError, jsonOk } from "./http";

type Deps = Pick<ApiDeps, "db" | "redis" | "env" | "log">;

export const listRepliesQuery = z.strictObject({
  keyword: inboundKeyword.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  /** nextCursor of the page before. */
  cursor: z.string().max(300).optional(),
});

/** A handset's message to one of the client's numbers or sender ids, as the Client API and its webhook show it. */
export const replyResponse = z.object({
  id: z.string(),
  /** The id of the client's message it answers (its latest to this handset from this address), if any. */
  inReplyTo: z.string().nullable(),
  /** The handset (E.164). */
  from: z.string(),
  /** The client's number or sender id it wrote to. */
  to: z.string(),
  text: z.string(),
  /** OPT_OUT (STOP and the like: Volley has opted the number out of this client), OPT_IN (START), HELP, or null. */
  keyword: inboundKeyword.nullable(),
  receivedAt: z.string(),
});
export type ReplyResponse = z.infer<typeof replyResponse>;

/** GET /api/v1/replies: the replies to this client's messages (or to its own address), newest first. */
export async function handleListRepliesRequest(deps: Deps, request: Request): Promise<Response> {
  try {
    const principal = await authorizeApiCall(deps, request.headers);
    const query = listRepliesQuery.safeParse(Object.fromEntries(new URL(request.url).searchParams));
    if (!query.success) {
      const fields: Record<string, string[]> = {};
      for (const issue of query.error.issues) (fields[issue.path.join(".") || "(query)"] ??= []).push(issue.message);
      return jsonError("BAD_REQUEST", "Invalid query parameters", 400, fields);
    }
    const page = await listReplies(deps.db, { ...query.data, clientId: principal.clientId });
    return jsonOk({
      replies: page.items.map((r): ReplyResponse => ({
        id: r.id,
        inReplyTo: r.inReplyTo,
        from: r.msisdn,
        to: r.address,
        text: r.body,
        keyword: r.keyword,
        receivedAt: r.receivedAt.toISOString(),
      })),
      nextCursor: page.nextCursor,
    });
  } catch (err) {
    return errorResponse(err, deps.log, "replies read");
  }
}
