// How every worker process runs node: run-all.ts (dev and quick start) and the benchmarks start them with these;
// docker-compose.yml repeats them (a test holds it to the GC flag).

/**
 * Workers stream and batch, so their live heap is small; without a cap V8
 * lets garbage pile up to hundreds of MB before collecting it.
 */
export const WORKER_NODE_OPTIONS = "--max-old-space-size=128";

/**
 * On the command line (V8 refuses it in NODE_OPTIONS): garbage collection on
 * the worker's own thread. Workers, Kafka, Postgres and Redis share a few
 * cores; V8's parallel GC helper threads only competed with them for the
 * cores (bench:e2e: 8% less CPU per message, 6% more messages/s).
 */
export const WORKER_NODE_FLAGS = ["--single-threaded-gc"];
