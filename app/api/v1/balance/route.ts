import { apiDeps } from "@/server/api/deps";
import { handleBalanceRequest } from "@/server/client-api/balance";

export const dynamic = "force-dynamic";

// Client API: authenticated by API key, not by the console session (proxy.ts
// leaves /api/* alone, so a missing key is a JSON 401, never a login redirect).
export function GET(request: Request) {
  return handleBalanceRequest(apiDeps(), request);
}
