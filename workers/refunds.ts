import { startRefunds } from "../server/billing/refunds";
import { runWorker } from "../server/worker/run-worker";

// message-status → refunds of charged messages that finally failed (own consumer group).
await runWorker("refunds", startRefunds);
