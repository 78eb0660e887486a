import { afterEach, describe, expect, it } from "vitest";
import { KAFKAJS_REQUEST_QUEUE_PATCHED, KafkajsRequestQueue, type RequestQueue } from "./request-queue-fix";

const queues: RequestQueue[] = [];
function queue(): RequestQueue {
  const logger = { debug: () => undefined, warn: () => undefined, error: () => undefined, info: () => undefined };
  const q = new KafkajsRequestQueue({
    instrumentationEmitter: null,
    maxInFlightRequests: null,
    requestTimeout: 30_000,
    enforceRequestTimeout: false,
    clientId: "test",
    broker: "127.0.0.1:9092",
    logger: { namespace: () => logger, ...logger },
    isConnected: () => true,
  });
  queues.push(q);
  return q;
}

afterEach(() => {
  for (const q of queues.splice(0)) q.destroy();
});

describe("kafkajs request queue fix", () => {
  it("is applied to kafkajs's own RequestQueue", () => {
    expect(KAFKAJS_REQUEST_QUEUE_PATCHED in KafkajsRequestQueue.prototype).toBe(true);
  });

  it("sets no timer while nothing is waiting to be sent (kafkajs 2.2.4 spins on a negative timeout)", () => {
    const q = queue();
    q.scheduleCheckPendingRequests();
    expect(q.throttleCheckTimeoutId).toBeNull();
    q.checkPendingRequests();
    expect(q.throttleCheckTimeoutId).toBeNull();
  });

  it("still checks a queue with waiting requests: after the throttle, or soon when not throttled", async () => {
    const q = queue();
    let checks = 0;
    q.checkPendingRequests = () => {
      checks++;
    };
    q.pending.push({});
    q.throttledUntil = Date.now() + 40;
    q.scheduleCheckPendingRequests();
    expect(q.throttleCheckTimeoutId).not.toBeNull();
    await new Promise((r) => setTimeout(r, 15));
    expect(checks).toBe(0);
    await new Promise((r) => setTimeout(r, 60));
    expect(checks).toBe(1);

    q.throttledUntil = -1;
    q.scheduleCheckPendingRequests();
    await new Promise((r) => setTimeout(r, 30));
    expect(checks).toBe(2);
  });
});
