import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { FINAL_STATUSES } from "../messages/status";
import { clientApiDocument } from "./openapi";
import { replyResponse } from "./replies";
import { messageResponse } from "./schemas";

const V1 = path.resolve(__dirname, "../../app/api/v1");

/** Every route handler under app/api/v1 as "METHOD /api/v1/path" (Next's [param] as OpenAPI's {param}). */
function routedOperations(dir = V1): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return routedOperations(full);
    if (name !== "route.ts") return [];
    const route = "/api/v1/" + path.relative(V1, dir).split(path.sep).join("/");
    const methods = [
      ...readFileSync(full, "utf8").matchAll(/export (?:async )?function (GET|POST|PUT|PATCH|DELETE)\b/g),
    ];
    return methods.map((m) => `${m[1]} ${route.replace(/\[(\w+)\]/g, "{$1}")}`);
  });
}

describe("the Client API's OpenAPI document", () => {
  const doc = clientApiDocument() as {
    paths: Record<string, Record<string, unknown>>;
    components: {
      schemas: Record<string, { properties?: object; required?: string[]; additionalProperties?: unknown }>;
    };
    webhooks: Record<string, { post: { requestBody: { content: { "application/json": { schema: any } } } } }>;
  };

  it("documents exactly the routes the app serves (the document's own route aside)", () => {
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
    );
    const routed = routedOperations().filter((op) => op !== "GET /api/v1/openapi.json");
    expect(documented.sort()).toEqual(routed.sort());
  });

  it("describes bodies and answers from the schemas the handlers use", () => {
    const send = doc.components.schemas.SendMessage!;
    expect(send.required).toEqual(["to", "from", "text"]);
    expect(send.additionalProperties).toBe(false);
    expect(Object.keys(doc.components.schemas.Message!.properties!).sort()).toEqual(
      Object.keys(messageResponse.shape).sort(),
    );
    const webhook = doc.webhooks.messageStatus!.post.requestBody.content["application/json"].schema;
    expect(webhook.properties.status.enum).toEqual([...FINAL_STATUSES]);
    const reply = doc.webhooks.messageReceived!.post.requestBody.content["application/json"].schema;
    expect(reply.properties.type.const).toBe("message.received");
    expect(reply.properties.keyword.anyOf[0].enum).toEqual(["OPT_OUT", "OPT_IN", "HELP"]);
    expect(Object.keys(doc.components.schemas.Reply!.properties!).sort()).toEqual(
      Object.keys(replyResponse.shape).sort(),
    );
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });
});
