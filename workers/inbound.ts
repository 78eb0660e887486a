import { runWorker } from "../server/worker/run-worker";
import { startInbound } from "../server/inbound/worker";

// inbound-messages → replies stored, STOP/START keywords applied to the clients' opt-outs.
await runWorker("inbound", startInbound);
