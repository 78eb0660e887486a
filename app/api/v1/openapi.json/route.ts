import { clientApiDocument } from "@/server/client-api/openapi";

export const dynamic = "force-static";

// The Client API's OpenAPI document: public, like any API's reference.
export function GET() {
  return Response.json(clientApiDocument(), { headers: { "cache-control": "public, max-age=300" } });
}
