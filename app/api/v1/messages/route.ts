import { apiDeps } from "@/server/api/deps";
import { handleReadMessageRequest, handleSendMessageRequest } from "@/server/client-api/messages-http";

export const dynamic = "force-dynamic";

// Client API (API key, not a console session): send one message; list the newest, or find one by its reference.
export function POST(request: Request) {
  return handleSendMessageRequest(apiDeps(), request);
}

export function GET(request: Request) {
  return handleReadMessageRequest(apiDeps(), request);
}
