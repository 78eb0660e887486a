import { setTimeout as sleep } from "node:timers/promises";
import type { KafkaMessage } from "kafkajs";
import { API_MESSAGE_PREFIX } from "../client-api/messages";
import { startFinalStatusConsumer } from "../messages/final-statuses";
import type { StartedWorker, WorkerDeps } from "../worker/run-worker";
import { dispatchDueWebhooks, recordWebhookDeliveries } from "./deliveries";

/**
 * Campaign traffic is nearly all of message-status and has no webhooks: a record whose bytes hold no API message id
 * is passed by before it is parsed. (A message body quoting one is escaped in the JSON, so it cannot match.)
 */
const API_MESSAGE_ID = Buffer.from(`"messageId":"${API_MESSAGE_PREFIX}`);
export const carriesNoApiMessage = (message: KafkaMessage) => !message.value?.includes(API_MESSAGE_ID);

/** With nothing due, the dispatcher looks again this often (new rows from this process wake it at once). */
const IDLE_POLL_MS = 500;

/**
 * The webhooks worker: reads message-status in its own consumer group, records a delivery per final status of an
 * API message whose client has a URL, and runs the dispatcher that makes the calls.
 */
export async function startWebhooks({ env, log, db, kafka, producer }: WorkerDeps): Promise<StartedWorker> {
  let wake: (() => void) | undefined;
  // Invalid items are the status writer's to dead-letter (it reads every one); here they are passed by, so one bad
  // event is not dead-lettered once per consumer group.
  const consumer = await startFinalStatusConsumer(
    { env, log, kafka, producer },
    "webhooks",
    async (records) => {
      const added = await recordWebhookDeliveries(
        db,
        records.flatMap((r) => r.value.items),
      );
      if (added > 0) wake?.();
    },
    carriesNoApiMessage,
  );

  const settings = {
    timeoutMs: env.WEBHOOK_TIMEOUT_MS,
    retryBaseMs: env.WEBHOOK_RETRY_BASE_MS,
    maxAttempts: env.WEBHOOK_MAX_ATTEMPTS,
    concurrency: env.WEBHOOK_CONCURRENCY,
  };
  let stopping = false;
  const dispatcher = (async () => {
    while (!stopping) {
      let made = 0;
      try {
        made = await dispatchDueWebhooks({ db, log }, settings);
      } catch (err) {
        log.error({ err }, "webhook dispatch failed; retrying");
      }
      if (made >= settings.concurrency) continue;
      const idle = new AbortController();
      wake = () => idle.abort();
      await sleep(made > 0 ? 0 : IDLE_POLL_MS, undefined, { signal: idle.signal }).catch(() => undefined);
    }
  })();

  return {
    async stop() {
      await consumer.stop();
      // The round in flight finishes (its calls are bounded by the timeout) and records its outcomes.
      stopping = true;
      wake?.();
      await dispatcher;
    },
  };
}
