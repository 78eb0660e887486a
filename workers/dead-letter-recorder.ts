import { startDeadLetterRecorder } from "../server/dead-letters/recorder";
import { runWorker } from "../server/worker/run-worker";

// be-dead-letter-recorder: every *-dlq topic → dead_letters rows for the console.
await runWorker("dead-letter-recorder", startDeadLetterRecorder);
