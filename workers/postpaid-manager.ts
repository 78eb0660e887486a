import { startPostpaidManager } from "../server/billing/postpaid-manager";
import { runWorker } from "../server/worker/run-worker";

// usage-cdr-postpaid → usage records and unbilled usage, keyed by account.
await runWorker("postpaid-manager", startPostpaidManager);
