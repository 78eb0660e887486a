import { startStatusWriter } from "../server/messages/status-writer-worker";
import { runWorker } from "../server/worker/run-worker";

// message-status → message rows, campaign counters, live counts in Redis.
await runWorker("status-writer", startStatusWriter);
