import { startScheduler } from "../server/campaigns/workers";
import { runWorker } from "../server/worker/run-worker";

// Starts scheduled campaigns and releases deferred messages when due.
await runWorker("scheduler", startScheduler);
