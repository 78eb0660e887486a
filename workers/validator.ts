import { startValidator } from "../server/validation/validator";
import { runWorker } from "../server/worker/run-worker";

// be-campaign-validator: bulk-topic → validated message rows.
await runWorker("validator", startValidator);
