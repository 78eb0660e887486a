import { z } from "zod";
import { messageReceivedWebhook, messageStatusWebhook } from "../webhooks/schemas";
import { listRepliesQuery, replyResponse } from "./replies";
import {
  balanceQuery,
  balanceResponse,
  listMessagesQuery,
  MAX_BATCH_MESSAGES,
  messageResponse,
  sendMessageInput,
} from "./schemas";

// The Client API as an OpenAPI 3.1 document (GET /api/v1/openapi.json), built from the zod schemas the handlers
// validate with, so the document cannot drift from what the API accepts and answers.

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as JsonSchema;
  return rest;
}

/** Query parameters of a GET, one per property of its (flat) zod object. */
function queryParameters(schema: z.ZodType): JsonSchema[] {
  const { properties = {}, required = [] } = jsonSchema(schema, "input") as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(properties).map(([name, s]) => ({
    name,
    in: "query",
    required: required.includes(name),
    schema: s,
  }));
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: JsonSchema) => ({ content: { "application/json": { schema } } });
const error = (description: string) => ({ description, ...json(ref("Error")) });
const COMMON_ERRORS = {
  "401": error("Missing, malformed, unknown or revoked API key"),
  "429": error("Over the key's calls a second (see Retry-After)"),
};

const SIGNED =
  "Signed: Volley-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of '<t>.<raw body>' keyed by the client's " +
  "webhook secret>; answer 2xx, or it is retried for about a day.";

export function clientApiDocument(): JsonSchema {
  const sendMessage = jsonSchema(sendMessageInput, "input");
  const sentMessage = {
    allOf: [
      ref("Message"),
      {
        type: "object",
        properties: {
          reference: { type: ["string", "null"] },
          duplicate: { type: "boolean", description: "true: this reference was sent before; nothing new was sent" },
        },
        required: ["reference", "duplicate"],
      },
    ],
  };
  const sendErrors = {
    "400": error("The body failed validation: `fields` names what is wrong (messages.N.field in a batch)"),
    ...COMMON_ERRORS,
    "403": error("The client is suspended"),
    "413": error("The body is too large"),
    "503": error("Not queued (Kafka unavailable): nothing was sent, retry"),
  };
  return {
    openapi: "3.1.0",
    info: {
      title: "Volley Client API",
      version: "1",
      description:
        "Send SMS (marketing, authentication/OTP, agent-flow), read their status, the handsets' replies and the " +
        "account balance. Final statuses of sent messages and replies can also be POSTed to a webhook URL (see " +
        "webhooks.messageStatus and webhooks.messageReceived).",
    },
    servers: [{ url: "/" }],
    security: [{ bearer: [] }, { apiKeyHeader: [] }],
    paths: {
      "/api/v1/messages": {
        post: {
          operationId: "sendMessage",
          summary: "Queue one message",
          requestBody: { required: true, ...json(ref("SendMessage")) },
          responses: { "202": { description: "Queued", ...json(sentMessage) }, ...sendErrors },
        },
        get: {
          operationId: "listMessages",
          summary: "The client's messages newest first, or the one sent with ?reference=",
          parameters: [
            { name: "reference", in: "query", required: false, schema: { type: "string", maxLength: 100 } },
            ...queryParameters(listMessagesQuery),
          ],
          responses: {
            "200": {
              description: "A page of messages (or, with ?reference=, that message alone)",
              ...json({
                oneOf: [
                  {
                    type: "object",
                    properties: {
                      messages: { type: "array", items: ref("Message") },
                      nextCursor: { type: ["string", "null"] },
                    },
                    required: ["messages", "nextCursor"],
                  },
                  ref("Message"),
                ],
              }),
            },
            "400": error("Invalid query parameters"),
            "404": error("No message was sent with that reference"),
            ...COMMON_ERRORS,
          },
        },
      },
      "/api/v1/messages/batch": {
        post: {
          operationId: "sendBatch",
          summary: `Queue up to ${MAX_BATCH_MESSAGES} messages: all of them, or none if one fails validation`,
          requestBody: {
            required: true,
            ...json({
              type: "object",
              properties: {
                defaults: {
                  description: "Fields every message takes unless it has its own",
                  type: "object",
                  properties: pick(sendMessage, ["from", "text", "category", "allowDefer"]),
                  additionalProperties: false,
                },
                messages: {
                  type: "array",
                  minItems: 1,
                  maxItems: MAX_BATCH_MESSAGES,
                  items: { ...sendMessage, required: undefined },
                },
              },
              required: ["messages"],
              additionalProperties: false,
            }),
          },
          responses: {
            "202": {
              description: "Queued, in the order sent",
              ...json({ type: "object", properties: { messages: { type: "array", items: sentMessage } } }),
            },
            ...sendErrors,
          },
        },
      },
      "/api/v1/messages/{id}": {
        get: {
          operationId: "getMessage",
          summary: "One of the client's messages",
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
          responses: {
            "200": { description: "The message", ...json(ref("Message")) },
            "404": error("No such message of this client"),
            ...COMMON_ERRORS,
          },
        },
      },
      "/api/v1/replies": {
        get: {
          operationId: "listReplies",
          summary:
            "Messages handsets sent to the client (replies to its messages, or to its own number or sender id), " +
            "newest first. A reply that is a STOP keyword has already opted the number out of this client.",
          parameters: queryParameters(listRepliesQuery),
          responses: {
            "200": {
              description: "A page of replies",
              ...json({
                type: "object",
                properties: {
                  replies: { type: "array", items: ref("Reply") },
                  nextCursor: { type: ["string", "null"] },
                },
                required: ["replies", "nextCursor"],
              }),
            },
            "400": error("Invalid query parameters"),
            ...COMMON_ERRORS,
          },
        },
      },
      "/api/v1/balance": {
        get: {
          operationId: "getBalance",
          summary: "The client's account balance (amounts in minor units, as strings)",
          parameters: queryParameters(balanceQuery),
          responses: {
            "200": { description: "The balance", ...json(jsonSchema(balanceResponse, "output")) },
            "404": error("No such account of this client"),
            ...COMMON_ERRORS,
          },
        },
      },
    },
    webhooks: {
      messageStatus: {
        post: {
          summary: `A sent message reached its final status. ${SIGNED}`,
          requestBody: json(jsonSchema(messageStatusWebhook, "output")),
          responses: { "200": { description: "Received (any 2xx)" } },
        },
      },
      messageReceived: {
        post: {
          summary: `A handset wrote to the client (a reply, or a STOP the number is already opted out by). ${SIGNED}`,
          requestBody: json(jsonSchema(messageReceivedWebhook, "output")),
          responses: { "200": { description: "Received (any 2xx)" } },
        },
      },
    },
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "Authorization: Bearer vk_…" },
        apiKeyHeader: { type: "apiKey", in: "header", name: "X-Api-Key" },
      },
      schemas: {
        SendMessage: sendMessage,
        Message: jsonSchema(messageResponse, "output"),
        Reply: jsonSchema(replyResponse, "output"),
        Error: {
          type: "object",
          properties: {
            error: {
              type: "object",
              properties: {
                code: { type: "string" },
                message: { type: "string" },
                fields: { type: "object", additionalProperties: { type: "array", items: { type: "string" } } },
              },
              required: ["code", "message"],
            },
          },
          required: ["error"],
        },
      },
    },
  };
}

function pick(schema: JsonSchema, names: string[]): JsonSchema {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  return Object.fromEntries(names.filter((n) => n in properties).map((n) => [n, properties[n]!]));
}
