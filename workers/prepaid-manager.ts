import { startDeductionService } from "../server/billing/deduction-worker";
import { runWorker } from "../server/worker/run-worker";

// usage-cdr-low / usage-cdr-high → ledger rows and account debits, keyed by account.
await runWorker("prepaid-manager", startDeductionService);
