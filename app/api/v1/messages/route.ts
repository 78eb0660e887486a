import { apiDeps } from "@/server/api/deps";
import { handleReadMessageRequest, handleSendMessageRequest } from "@/server/client-api/messages-http";

export const dynamic = "force-dynamic";

// Client API (API key, not a console session): send one message; look one up by the reference it was sent with.
export function POST(request: Request) {
  return handleSendMessageRequest(apiDeps(), request);
}

export function GET(request: Request) {
  return handleReadMessageRequest(apiDeps(), request);
}
