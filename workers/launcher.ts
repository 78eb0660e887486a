import { startLauncher } from "../server/campaigns/workers";
import { runWorker } from "../server/worker/run-worker";

// be-campaign: running campaigns' recipients → bulk-topic, with checkpoints.
await runWorker("launcher", startLauncher);
