import { startPostpaidLane } from "../server/billing/lanes";
import { runWorker } from "../server/worker/run-worker";

// be-postpaid-low: marketing and bulk traffic of postpaid clients, large batches.
await runWorker("postpaid-low", startPostpaidLane("low"));
