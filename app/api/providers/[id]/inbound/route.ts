import { apiDeps } from "@/server/api/deps";
import { handleInboundWebhook } from "@/server/delivery/http/webhook";

export const dynamic = "force-dynamic";

// Handsets' replies from an HTTP provider: authenticated by the provider's webhook token, like its receipts.
export async function POST(request: Request, context: { params: Promise<{ id: string }> }) {
  const { id } = await context.params;
  return handleInboundWebhook(apiDeps(), id, request);
}
