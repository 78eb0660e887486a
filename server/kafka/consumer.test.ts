import { EventEmitter } from "node:events";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { consumerFailures, redeliver, watchForFatalCrash } from "./consumer";

describe("watchForFatalCrash", () => {
  const fakeConsumer = () => {
    const emitter = new EventEmitter();
    const events = { CRASH: "consumer.crash" } as const;
    return {
      consumer: { on: emitter.on.bind(emitter), events } as never,
      crash: (restart: boolean, error: Error) =>
        emitter.emit(events.CRASH, { payload: { error, groupId: "g", restart } }),
    };
  };

  it("reports a crash kafkajs will not restart from, and only that one", () => {
    const { consumer, crash } = fakeConsumer();
    watchForFatalCrash(consumer, "volley-validator", pino({ enabled: false }));
    const fatal: [unknown, string][] = [];
    const listener = (err: unknown, groupId: string) => fatal.push([err, groupId]);
    consumerFailures.on("fatal", listener);
    try {
      crash(true, new Error("connection lost"));
      expect(fatal).toEqual([]);
      const err = new Error("The coordinator is not aware of this member");
      crash(false, err);
      expect(fatal).toEqual([[err, "volley-validator"]]);
    } finally {
      consumerFailures.off("fatal", listener);
    }
  });
});

describe("redeliver", () => {
  const thrown = (err: unknown) => {
    try {
      redeliver(err);
    } catch (e) {
      return e as Error & { retriable?: boolean };
    }
    throw new Error("redeliver returned");
  };

  it("passes errors kafkajs retries as they are, and turns the ones it would not into retriable ones", () => {
    const transient = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    expect(thrown(transient)).toBe(transient);
    const refused = thrown(
      Object.assign(new Error("message too large"), { name: "KafkaJSProtocolError", retriable: false }),
    );
    expect([refused.name, refused.message, refused.retriable]).toEqual([
      "VolleyRedeliver",
      "KafkaJSProtocolError: message too large",
      true,
    ]);
    expect(thrown(new TypeError("x is undefined")).message).toBe("TypeError: x is undefined");
    expect(thrown("a string").message).toBe("a string");
  });
});
