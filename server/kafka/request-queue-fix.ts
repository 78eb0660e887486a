import { createRequire } from "node:module";

// kafkajs 2.2.4 keeps every broker connection's request queue in a timer loop
// that never ends: with nothing pending, the "check pending requests" timer is
// set with a negative delay (throttledUntil starts at -1), fires at once and
// sets itself again (tulios/kafkajs#1556, fix proposed in #1667, unreleased).
// Measured here: an idle worker's main thread woke ~1,600 times a second and
// used 6% of a core doing nothing, in every Volley process. The replacement
// schedules a check only while requests are waiting to be sent; a request
// that has to wait (throttled, or too many in flight) schedules one as it is
// queued, and every answered request checks the queue anyway.

/** The parts of kafkajs's (untyped, internal) RequestQueue the fix and its test touch. */
export type RequestQueue = {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
  destroy(): void;
};

// kafkajs's own interval for re-checking a queue that waits without being throttled.
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

export const KafkajsRequestQueue = createRequire(import.meta.url)("kafkajs/src/network/requestQueue/index.js") as {
  new (opts: Record<string, unknown>): RequestQueue;
  prototype: RequestQueue;
};
const { prototype } = KafkajsRequestQueue;

export const KAFKAJS_REQUEST_QUEUE_PATCHED = Symbol.for("volley.kafkajs.requestQueuePatched");

if (!(KAFKAJS_REQUEST_QUEUE_PATCHED in prototype)) {
  Object.defineProperty(prototype, KAFKAJS_REQUEST_QUEUE_PATCHED, { value: true });
  prototype.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: RequestQueue) {
    if (this.pending.length === 0 || this.throttleCheckTimeoutId) return;
    const throttledFor = this.throttledUntil - Date.now();
    this.throttleCheckTimeoutId = setTimeout(
      () => {
        this.throttleCheckTimeoutId = null;
        this.checkPendingRequests();
      },
      throttledFor > 0 ? throttledFor : CHECK_PENDING_REQUESTS_INTERVAL_MS,
    );
  };
}
