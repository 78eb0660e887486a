import { apiDeps } from "@/server/api/deps";
import { handleListRepliesRequest } from "@/server/client-api/replies";

export const dynamic = "force-dynamic";

// Client API (API key): the handsets' replies to the client, newest first.
export function GET(request: Request) {
  return handleListRepliesRequest(apiDeps(), request);
}
