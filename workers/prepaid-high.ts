import { startPrepaidLane } from "../server/billing/lanes";
import { runWorker } from "../server/worker/run-worker";

// be-prepaid-high: authentication and agent-flow traffic, small batches.
await runWorker("prepaid-high", startPrepaidLane("high"));
