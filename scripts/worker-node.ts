// How every worker process runs node: run-all.ts (dev and quick start) and the benchmarks start them with these;
// docker-compose.yml repeats them (a test holds it to the GC flag).

/**
 * Workers stream and batch, so their live heap is small; without a cap V8
 * lets garbage pile up to hundreds of MB before collecting it.
 */
export const WORKER_NODE_OPTIONS = "--max-old-space-size=128";

/**
 * On the command line (V8 refuses them in NODE_OPTIONS):
 * - `--single-threaded-gc`: garbage collection on the worker's own thread.
 *   Workers, Kafka, Postgres and Redis share a few cores; V8's parallel GC
 *   helper threads only competed with them for the cores (bench:e2e: 8% less
 *   CPU per message, 6% more messages/s).
 * - `--heap-growing-percent=300`: after a full collection, the old generation
 *   may grow to 4× what survived before the next one starts (V8 picks a lower
 *   factor for small heaps). A worker's survivors are a few tens of MB and
 *   its batches promote a few MB per scavenge, so it was marking its whole
 *   heap every second or so; the heap cap above still bounds it (bench:e2e:
 *   ~10% less CPU per message, peak RSS still under 256 MB).
 */
export const WORKER_NODE_FLAGS = ["--single-threaded-gc", "--heap-growing-percent=300"];
