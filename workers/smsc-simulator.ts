import { runSmscSimulator } from "../server/smsc/run";

// The SMSC simulator: an SMPP server standing in for a carrier in development, tests and benchmarks.
await runSmscSimulator();
