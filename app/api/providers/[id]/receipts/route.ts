import { apiDeps } from "@/server/api/deps";
import { handleReceiptWebhook } from "@/server/delivery/http/webhook";

export const dynamic = "force-dynamic";

// Delivery receipts from an HTTP provider: authenticated by the provider's
// webhook token, not by the console session (proxy.ts leaves /api/* alone,
// so a bad token is a JSON 401, never a login redirect).
export async function POST(request: Request, context: { params: Promise<{ id: string }> }) {
  const { id } = await context.params;
  return handleReceiptWebhook(apiDeps(), id, request);
}
