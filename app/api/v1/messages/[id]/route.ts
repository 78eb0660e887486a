import { apiDeps } from "@/server/api/deps";
import { handleReadMessageRequest } from "@/server/client-api/messages-http";

export const dynamic = "force-dynamic";

export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }) {
  return handleReadMessageRequest(apiDeps(), request, (await params).id);
}
