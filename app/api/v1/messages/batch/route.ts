import { apiDeps } from "@/server/api/deps";
import { handleSendBatchRequest } from "@/server/client-api/messages-http";

export const dynamic = "force-dynamic";

export function POST(request: Request) {
  return handleSendBatchRequest(apiDeps(), request);
}
