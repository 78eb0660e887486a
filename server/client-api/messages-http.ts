import { z } from "zod";
import type { ApiDeps } from "../api/deps";
import { AppError } from "../errors";
import { authorizeApiCall } from "./auth";
import { errorResponse, jsonError, jsonOk } from "./http";
import { listMessages, readMessage, sendMessages } from "./messages";
import { listMessagesQuery, sendBatchInput, sendMessageInput, type SendMessageInput } from "./schemas";

type Deps = Pick<ApiDeps, "db" | "redis" | "env" | "log" | "producer">;

const MAX_SINGLE_BODY_BYTES = 64 * 1024;
const MAX_BATCH_BODY_BYTES = 8 * 1024 * 1024;

class InvalidBody extends Error {
  constructor(readonly fields: Record<string, string[]>) {
    super("Invalid request body");
  }
}

/** The JSON body, refused before it is read whole when it declares more than `limit` bytes. */
async function readJson(request: Request, limit: number): Promise<unknown> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  const tooLarge = () => new AppError("PAYLOAD_TOO_LARGE", `The request body is over ${limit} bytes`);
  if (declared > limit) throw tooLarge();
  const text = await request.text();
  if (Buffer.byteLength(text, "utf8") > limit) throw tooLarge();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new AppError("BAD_REQUEST", "The request body is not valid JSON");
  }
}

/** Field errors keyed by path ("messages.3.to"), the shape every 400 of the client API uses. */
function fieldErrors(error: z.ZodError, prefix = ""): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const issue of error.issues) {
    const path = prefix + (issue.path.length ? issue.path.join(".") : "(body)");
    (out[path] ??= []).push(issue.message);
  }
  return out;
}

function parseBatch(body: unknown): SendMessageInput[] {
  const batch = sendBatchInput.safeParse(body);
  if (!batch.success) throw new InvalidBody(fieldErrors(batch.error));
  const fields: Record<string, string[]> = {};
  // Merged as sent, not as parsed: a message's own fields then parse exactly as they would on their own.
  const defaults = (body as { defaults?: Record<string, unknown> }).defaults;
  const messages = batch.data.messages.map((m, i) => {
    const parsed = sendMessageInput.safeParse({ ...defaults, ...m });
    if (parsed.success) return parsed.data;
    Object.assign(fields, fieldErrors(parsed.error, `messages.${i}.`));
    return null;
  });
  // All or nothing: a batch with one bad message sends none, so the caller fixes it and sends the same batch again.
  if (Object.keys(fields).length > 0) throw new InvalidBody(fields);
  return messages as SendMessageInput[];
}

async function handleSend(deps: Deps, request: Request, batch: boolean): Promise<Response> {
  try {
    const principal = await authorizeApiCall(deps, request.headers);
    const body = await readJson(request, batch ? MAX_BATCH_BODY_BYTES : MAX_SINGLE_BODY_BYTES);
    let inputs: SendMessageInput[];
    if (batch) {
      inputs = parseBatch(body);
    } else {
      const one = sendMessageInput.safeParse(body);
      if (!one.success) throw new InvalidBody(fieldErrors(one.error));
      inputs = [one.data];
    }
    const sent = await sendMessages(deps, principal, inputs);
    // 202: queued, not yet sent; the status moves on from QUEUED as the pipeline works (GET it, or take the webhook).
    if (batch) return jsonOk({ messages: sent }, 202);
    const response = jsonOk(sent[0], 202);
    response.headers.set("location", `/api/v1/messages/${encodeURIComponent(sent[0]!.id)}`);
    return response;
  } catch (err) {
    if (err instanceof InvalidBody) return jsonError("BAD_REQUEST", err.message, 400, err.fields);
    return errorResponse(err, deps.log, "send request");
  }
}

/** POST /api/v1/messages: one message. */
export function handleSendMessageRequest(deps: Deps, request: Request): Promise<Response> {
  return handleSend(deps, request, false);
}

/** POST /api/v1/messages/batch: up to 1,000 messages, with shared defaults. */
export function handleSendBatchRequest(deps: Deps, request: Request): Promise<Response> {
  return handleSend(deps, request, true);
}

const lookupQuery = z.strictObject({ reference: z.string().min(1).max(100) });

/** GET /api/v1/messages/{id}; GET /api/v1/messages?reference=…; GET /api/v1/messages (a page of the newest). */
export async function handleReadMessageRequest(deps: Deps, request: Request, id?: string): Promise<Response> {
  try {
    const principal = await authorizeApiCall(deps, request.headers);
    if (id !== undefined) return jsonOk(await readMessage(deps, principal.clientId, { id }));
    const params = Object.fromEntries(new URL(request.url).searchParams);
    if ("reference" in params) {
      const query = lookupQuery.safeParse(params);
      if (!query.success) throw new InvalidBody(fieldErrors(query.error));
      return jsonOk(await readMessage(deps, principal.clientId, query.data));
    }
    const query = listMessagesQuery.safeParse(params);
    if (!query.success) throw new InvalidBody(fieldErrors(query.error));
    return jsonOk(await listMessages(deps, principal.clientId, query.data));
  } catch (err) {
    if (err instanceof InvalidBody) return jsonError("BAD_REQUEST", "Invalid query parameters", 400, err.fields);
    return errorResponse(err, deps.log, "message read");
  }
}
