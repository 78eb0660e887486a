import { startPrepaidLane } from "../server/billing/lanes";
import { runWorker } from "../server/worker/run-worker";

// be-prepaid-low: marketing and bulk traffic, large batches.
await runWorker("prepaid-low", startPrepaidLane("low"));
