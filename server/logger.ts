import pino, { type Logger } from "pino";
import { env } from "./env";

let root: Logger | undefined;

export function logger(): Logger {
  // Synchronous writes: with pino's default asynchronous stdout, the lines
  // buffered behind a write in flight were flushed ahead of it at exit, so a
  // worker's last lines (its shutdown steps) came out reordered (sonic-boom's
  // flush does not wait for the write in flight). Workers log per batch and
  // per event, not per message, so the cost of a write(2) per line is small.
  root ??= pino({ level: env().LOG_LEVEL }, pino.destination({ dest: 1, sync: true }));
  return root;
}

/** A child logger named after the process or component, e.g. "validator". */
export function createLogger(name: string): Logger {
  return logger().child({ name });
}
