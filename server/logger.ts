import pino, { type Logger } from "pino";
import { env } from "./env";

let root: Logger | undefined;

export function logger(): Logger {
  root ??= pino({ level: env().LOG_LEVEL });
  return root;
}

/** A child logger named after the process or component, e.g. "validator". */
export function createLogger(name: string): Logger {
  return logger().child({ name });
}
