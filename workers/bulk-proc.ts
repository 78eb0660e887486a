import { startBulkProc } from "../server/delivery/bulk-proc-worker";
import { runWorker } from "../server/worker/run-worker";

// send-high / send-low → SMPP and HTTP providers; delivery receipts → final statuses.
await runWorker("bulk-proc", startBulkProc);
