import { runWorker } from "../server/worker/run-worker";
import { startWebhooks } from "../server/webhooks/worker";

// message-status → signed delivery webhooks to the clients' URLs, retried until answered (own consumer group).
await runWorker("webhooks", startWebhooks);
