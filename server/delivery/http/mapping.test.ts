import { describe, expect, it } from "vitest";
import {
  buildRequestBody,
  extractResponseError,
  extractResponseId,
  getPath,
  mapReceiptStatus,
  parseInboundBody,
  parseReceiptBody,
  WebhookBodyError,
  setPath,
} from "./mapping";
import { httpProviderSettingsSchema } from "./schemas";

const TOKEN = "0123456789abcdef-token";

function settings(overrides: Record<string, unknown> = {}) {
  return httpProviderSettingsSchema.parse({ url: "https://sms.example.com/send", receiptToken: TOKEN, ...overrides });
}

describe("getPath / setPath", () => {
  it("reads dotted paths through objects and arrays", () => {
    const v = { a: { b: [{ id: "x1" }, { id: 7 }] } };
    expect(getPath(v, "a.b.0.id")).toBe("x1");
    expect(getPath(v, "a.b.1.id")).toBe(7);
    expect(getPath(v, "a.b.2.id")).toBeUndefined();
    expect(getPath(v, "a.b.x")).toBeUndefined();
    expect(getPath(v, "a.c")).toBeUndefined();
    expect(getPath("text", "a")).toBeUndefined();
  });

  it("never reads inherited properties", () => {
    expect(getPath({}, "constructor")).toBeUndefined();
    expect(getPath({ a: {} }, "a.__proto__")).toBeUndefined();
    expect(getPath({}, "toString")).toBeUndefined();
  });

  it("creates the objects on the way and refuses prototype keys", () => {
    const t: Record<string, unknown> = { msg: "replaced" };
    setPath(t, "msg.body.text", "hi");
    setPath(t, "top", 1);
    expect(t).toEqual({ msg: { body: { text: "hi" } }, top: 1 });
    expect(() => setPath(t, "__proto__.polluted", 1)).toThrow(/unsafe/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("buildRequestBody", () => {
  const sms = { id: "camp1-42", from: "TESTCO", to: "+447911123456", text: "Hello there" };

  it("puts each field where the mapping says, dotted paths included, over the static fields", () => {
    const s = settings({
      fieldMapping: { to: "destination", from: "source", text: "message.content", id: "reference", encoding: "coding" },
      staticFields: { type: "sms", message: { priority: "high" }, destination: "overwritten" },
      numberFormat: "digits",
    });
    expect(buildRequestBody(s, sms)).toEqual({
      type: "sms",
      destination: "447911123456",
      source: "TESTCO",
      message: { priority: "high", content: "Hello there" },
      reference: "camp1-42",
      coding: "GSM7",
    });
    // The settings' static fields are not changed by building a body.
    expect(s.staticFields).toEqual({ type: "sms", message: { priority: "high" }, destination: "overwritten" });
  });

  it("defaults to to/from/text, E.164 with a plus, no id and no encoding", () => {
    expect(buildRequestBody(settings(), { ...sms, to: "447911123456" })).toEqual({
      to: "+447911123456",
      from: "TESTCO",
      text: "Hello there",
    });
  });

  it("writes the encoding the validator chose, or works it out from the text, in the provider's words", () => {
    const s = settings({
      fieldMapping: { encoding: "dcs" },
      encodingValues: { GSM7: "text", UCS2: "unicode" },
    });
    expect(buildRequestBody(s, { ...sms, text: "Привет" }).dcs).toBe("unicode");
    expect(buildRequestBody(s, { ...sms, text: "plain" }).dcs).toBe("text");
    expect(buildRequestBody(s, { ...sms, text: "plain", encoding: "UCS2" }).dcs).toBe("unicode");
  });

  it("sends the whole text in one body however long it is", () => {
    const long = "x".repeat(500);
    expect(buildRequestBody(settings(), { ...sms, text: long }).text).toBe(long);
  });
});

describe("extractResponseError", () => {
  it("reads the carrier's error code where the settings say, made safe for a reason", () => {
    expect(extractResponseError("error.code", '{"error":{"code":"INVALID_DESTINATION"}}')).toBe("INVALID_DESTINATION");
    expect(extractResponseError("errors.0.code", '{"errors":[{"code":21211}]}')).toBe("21211");
    expect(extractResponseError("error", '{"error":"bad number: +44 (0)"}')).toBe("bad_number_44_0_");
  });

  it("is null without a path, a JSON body or a code there", () => {
    expect(extractResponseError(undefined, '{"error":"X"}')).toBeNull();
    expect(extractResponseError("error", "Bad Request")).toBeNull();
    expect(extractResponseError("error.code", '{"error":"X"}')).toBeNull();
  });
});

describe("extractResponseId", () => {
  it("finds the id at a dotted path, as a string", () => {
    expect(extractResponseId("id", '{"id":"abc"}')).toBe("abc");
    expect(extractResponseId("messages.0.messageId", '{"messages":[{"messageId":12345}]}')).toBe("12345");
  });

  it("is null for a body that is not JSON or has no usable id there", () => {
    expect(extractResponseId("id", "OK")).toBeNull();
    expect(extractResponseId("id", "")).toBeNull();
    expect(extractResponseId("id", '{"id":""}')).toBeNull();
    expect(extractResponseId("id", '{"id":{"nested":1}}')).toBeNull();
    expect(extractResponseId("data.id", '{"id":"abc"}')).toBeNull();
  });
});

describe("mapReceiptStatus", () => {
  it("looks the provider's map up first, case-insensitively, then the built-in names", () => {
    const map = { delivered_to_handset: "DELIVERED", Failed: "REJECTED", buffered: null } as const;
    expect(mapReceiptStatus(map, "DELIVERED_TO_HANDSET")).toBe("DELIVERED");
    expect(mapReceiptStatus(map, "failed")).toBe("REJECTED");
    expect(mapReceiptStatus(map, "BUFFERED")).toBeNull();
    expect(mapReceiptStatus({}, "delivrd")).toBe("DELIVERED");
    expect(mapReceiptStatus({}, "UNDELIV")).toBe("UNDELIVERABLE");
    expect(mapReceiptStatus({}, "expired")).toBe("EXPIRED");
    expect(mapReceiptStatus({}, "REJECTD")).toBe("REJECTED");
    expect(mapReceiptStatus({}, "failed")).toBe("UNDELIVERABLE");
    expect(mapReceiptStatus({}, "ENROUTE")).toBeNull();
    expect(mapReceiptStatus({}, "on-the-moon")).toBeUndefined();
    expect(mapReceiptStatus({}, "constructor")).toBeUndefined();
  });
});

describe("parseReceiptBody", () => {
  const s = settings({
    receiptIdPath: "msg.id",
    receiptStatusPath: "state",
    receiptErrorPath: "error.code",
    receiptStatusMap: { "2": "DELIVERED", "5": "UNDELIVERABLE", "1": null },
  });

  it("accepts one receipt object", () => {
    expect(parseReceiptBody(s, '{"msg":{"id":"p-1"},"state":2}')).toEqual({
      receipts: [{ providerMessageId: "p-1", status: "DELIVERED", errorCode: "000" }],
      intermediate: 0,
      unknown: [],
    });
  });

  it("accepts an array, skipping intermediate and unknown statuses", () => {
    const body = JSON.stringify([
      { msg: { id: "p-1" }, state: "2" },
      { msg: { id: 99 }, state: 5, error: { code: 34 } },
      { msg: { id: "p-3" }, state: 1 },
      { msg: { id: "p-4" }, state: "weird" },
    ]);
    expect(parseReceiptBody(s, body)).toEqual({
      receipts: [
        { providerMessageId: "p-1", status: "DELIVERED", errorCode: "000" },
        { providerMessageId: "99", status: "UNDELIVERABLE", errorCode: "34" },
      ],
      intermediate: 1,
      unknown: [{ index: 3, status: "weird" }],
    });
  });

  it("reads the handset number as E.164 when receiptRecipientPath is set", () => {
    const withTo = settings({ receiptRecipientPath: "to" });
    const body = JSON.stringify([
      { id: "a", status: "DELIVRD", to: "447911123456" },
      { id: "b", status: "DELIVRD", to: "+447911123457" },
      { id: "c", status: "DELIVRD", to: "unknown" },
      { id: "d", status: "DELIVRD" },
    ]);
    expect(parseReceiptBody(withTo, body).receipts.map((r) => r.recipient)).toEqual([
      "+447911123456",
      "+447911123457",
      undefined,
      undefined,
    ]);
  });

  it("reads the list under receiptListPath", () => {
    const wrapped = settings({ receiptListPath: "results" });
    const parsed = parseReceiptBody(wrapped, '{"results":[{"id":"a","status":"DELIVRD"}]}');
    expect(parsed.receipts).toEqual([{ providerMessageId: "a", status: "DELIVERED", errorCode: "000" }]);
    expect(() => parseReceiptBody(wrapped, '{"id":"a","status":"DELIVRD"}')).toThrow("Expected an array at 'results'");
  });

  it("refuses bodies that do not fit the mapping with a message saying why", () => {
    const cases: [string, string][] = [
      ["not json", "Body is not valid JSON"],
      ["", "Body is not valid JSON"],
      ["42", "Receipt is not a JSON object"],
      ['[{"msg":{"id":"a"},"state":2}, "x"]', "Receipt 1 is not a JSON object"],
      ['{"state":2}', "Receipt has no message id at 'msg.id'"],
      ['[{"msg":{"id":"a"}}]', "Receipt 0 has no status at 'state'"],
    ];
    for (const [body, message] of cases) {
      let caught: unknown;
      try {
        parseReceiptBody(s, body);
      } catch (err) {
        caught = err;
      }
      expect(caught, body).toBeInstanceOf(WebhookBodyError);
      expect((caught as Error).message, body).toBe(message);
    }
  });
});

describe("httpProviderSettingsSchema", () => {
  it("fills in the defaults", () => {
    expect(settings()).toMatchObject({
      method: "POST",
      authHeader: "Authorization",
      authValue: "",
      timeoutMs: 10_000,
      concurrency: 20,
      fieldMapping: { to: "to", from: "from", text: "text" },
      responseIdPath: "id",
      receiptIdPath: "id",
      receiptStatusPath: "status",
      receiptStatusMap: {},
    });
    // The console's empty defaults are valid: no auth header, webhook closed.
    expect(httpProviderSettingsSchema.parse({ url: "http://127.0.0.1:9/x", receiptToken: "" }).receiptToken).toBe("");
  });

  it("refuses what would break sending or authentication", () => {
    const bad = [
      { url: "ftp://example.com/send" },
      { url: "not a url" },
      { url: "https://x.example", method: "GET" },
      { url: "https://x.example", receiptToken: "short" },
      { url: "https://x.example", fieldMapping: { to: "a..b" } },
      { url: "https://x.example", authHeader: "Bad Header" },
      { url: "https://x.example", receiptStatusMap: { OK: "SENT" } },
      { url: "https://x.example", concurrency: 0 },
    ];
    for (const b of bad) expect(httpProviderSettingsSchema.safeParse(b).success, JSON.stringify(b)).toBe(false);
  });
});

describe("parseInboundBody", () => {
  it("reads one reply or an array of them from the default fields", () => {
    expect(parseInboundBody(settings(), JSON.stringify({ from: "447911123456", to: "ACME", text: "STOP" }))).toEqual([
      { from: "447911123456", to: "ACME", text: "STOP" },
    ]);
    expect(
      parseInboundBody(
        settings(),
        JSON.stringify([
          { from: 447911123456, to: "ACME", text: "" },
          { from: "+15551230001", to: "12345", text: "hi" },
        ]),
      ),
    ).toEqual([
      { from: "447911123456", to: "ACME", text: "" },
      { from: "+15551230001", to: "12345", text: "hi" },
    ]);
  });

  it("reads the provider's own field names and wrapping", () => {
    const mapped = settings({
      inboundListPath: "data.messages",
      inboundFromPath: "msisdn",
      inboundToPath: "shortcode",
      inboundTextPath: "content.body",
    });
    const body = { data: { messages: [{ msisdn: "447911123456", shortcode: "60777", content: { body: "Quit" } }] } };
    expect(parseInboundBody(mapped, JSON.stringify(body))).toEqual([
      { from: "447911123456", to: "60777", text: "Quit" },
    ]);
  });

  it("refuses a body the mapping does not fit, whole", () => {
    expect(() => parseInboundBody(settings(), "not json")).toThrow(WebhookBodyError);
    expect(() =>
      parseInboundBody(settings(), JSON.stringify([{ from: "1", to: "A", text: "x" }, { to: "A" }])),
    ).toThrow("Reply 1 has no number at 'from'");
    expect(() => parseInboundBody(settings(), JSON.stringify({ from: "1", to: "A" }))).toThrow("no text at 'text'");
    expect(() => parseInboundBody(settings({ inboundListPath: "items" }), "{}")).toThrow(
      "Expected an array at 'items'",
    );
  });
});
