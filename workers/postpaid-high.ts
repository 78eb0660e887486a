import { startPostpaidLane } from "../server/billing/lanes";
import { runWorker } from "../server/worker/run-worker";

// be-postpaid-high: authentication and agent-flow traffic of postpaid clients, small batches.
await runWorker("postpaid-high", startPostpaidLane("high"));
