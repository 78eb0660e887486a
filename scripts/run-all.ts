import { spawn, type ChildProcess } from "node:child_process";
import { env as loadEnv } from "../server/env";
import { createLogger } from "../server/logger";
import { WORKER_NODE_FLAGS, WORKER_NODE_OPTIONS } from "./worker-node";

// Runs the web console and every worker as separate processes (what
// `npm run dev` / `npm run start:all` do), or only some of them with
// `--only <name>,<name>…` (a host that runs part of Volley). SIGINT, SIGTERM
// or SIGHUP is passed on as SIGTERM, in order, so each process finishes its
// batch, commits and disconnects; a process that dies on its own is restarted
// with backoff.

type Proc = {
  name: string;
  cmd: string;
  args: string[];
  hasHealthPort?: boolean;
  /** Stopped only once this other process has exited: it still needs this one while it drains. */
  stopsAfter?: string;
};

const mode = process.argv.includes("--prod") ? "prod" : "dev";
const env = loadEnv();
const log = createLogger("run-all");
// Workers run as `node --import tsx …`: one process, so a signal (even
// SIGKILL) reaches the worker itself rather than a wrapper around it.
const node = process.execPath;
const next = "node_modules/.bin/next";

// Health ports follow the web port (3000 → 3101, 3102, …) so that a second
// install (the e2e tests) runs beside a dev one without clashes.
const WORKERS: Proc[] = [
  { name: "launcher", cmd: node, args: ["--import", "tsx", "workers/launcher.ts"], hasHealthPort: true },
  { name: "scheduler", cmd: node, args: ["--import", "tsx", "workers/scheduler.ts"], hasHealthPort: true },
  { name: "validator", cmd: node, args: ["--import", "tsx", "workers/validator.ts"], hasHealthPort: true },
  { name: "status-writer", cmd: node, args: ["--import", "tsx", "workers/status-writer.ts"], hasHealthPort: true },
  { name: "prepaid-high", cmd: node, args: ["--import", "tsx", "workers/prepaid-high.ts"], hasHealthPort: true },
  { name: "prepaid-low", cmd: node, args: ["--import", "tsx", "workers/prepaid-low.ts"], hasHealthPort: true },
  {
    name: "dead-letter-recorder",
    cmd: node,
    args: ["--import", "tsx", "workers/dead-letter-recorder.ts"],
    hasHealthPort: true,
  },
  { name: "prepaid-manager", cmd: node, args: ["--import", "tsx", "workers/prepaid-manager.ts"], hasHealthPort: true },
  { name: "refunds", cmd: node, args: ["--import", "tsx", "workers/refunds.ts"], hasHealthPort: true },
  { name: "postpaid-high", cmd: node, args: ["--import", "tsx", "workers/postpaid-high.ts"], hasHealthPort: true },
  { name: "postpaid-low", cmd: node, args: ["--import", "tsx", "workers/postpaid-low.ts"], hasHealthPort: true },
  {
    name: "postpaid-manager",
    cmd: node,
    args: ["--import", "tsx", "workers/postpaid-manager.ts"],
    hasHealthPort: true,
  },
  // The carrier stays up until bulk-proc has its window's answers: stopped together, the submits on the wire would
  // end UNCONFIRMED.
  {
    name: "smsc-simulator",
    cmd: node,
    args: ["--import", "tsx", "workers/smsc-simulator.ts"],
    hasHealthPort: true,
    stopsAfter: "bulk-proc",
  },
  { name: "bulk-proc", cmd: node, args: ["--import", "tsx", "workers/bulk-proc.ts"], hasHealthPort: true },
  { name: "webhooks", cmd: node, args: ["--import", "tsx", "workers/webhooks.ts"], hasHealthPort: true },
  { name: "inbound", cmd: node, args: ["--import", "tsx", "workers/inbound.ts"], hasHealthPort: true },
];

const ALL: Proc[] = [
  { name: "web", cmd: next, args: [mode === "dev" ? "dev" : "start", "-p", String(env.WEB_PORT), "-H", "127.0.0.1"] },
  ...WORKERS,
];

const onlyArg = process.argv.indexOf("--only");
const only = onlyArg >= 0 ? (process.argv[onlyArg + 1] ?? "").split(",").filter(Boolean) : null;
const unknown = only?.filter((name) => !ALL.some((p) => p.name === name)) ?? [];
if (only?.length === 0 || unknown.length > 0) {
  log.error({ unknown, known: ALL.map((p) => p.name) }, "--only takes a comma-separated list of the processes to run");
  process.exit(2);
}
const procs = only ? ALL.filter((p) => only.includes(p.name)) : ALL;

const running = new Map<string, ChildProcess>();
// Sent SIGTERM already (while stopping).
const signalled = new Set<string>();
let stopping = false;

function healthPort(proc: Proc): number | undefined {
  const index = WORKERS.indexOf(proc);
  return proc.hasHealthPort && index >= 0 ? env.WEB_PORT + 101 + index : undefined;
}

function start(proc: Proc, attempt = 0): void {
  const port = healthPort(proc);
  const child = spawn(proc.cmd, WORKERS.includes(proc) ? [...WORKER_NODE_FLAGS, ...proc.args] : proc.args, {
    stdio: ["ignore", "inherit", "inherit"],
    // A process group of its own: a terminal's Ctrl-C (SIGINT to the whole foreground group) reaches this process
    // alone, which stops the others in order. Reached directly, the SMSC simulator would stop beside bulk-proc.
    detached: true,
    env: {
      ...process.env,
      ...(port ? { HEALTH_PORT: String(port) } : {}),
      ...(WORKERS.includes(proc)
        ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} ${WORKER_NODE_OPTIONS}`.trim() }
        : {}),
    },
  });
  running.set(proc.name, child);
  log.info({ proc: proc.name, pid: child.pid, healthPort: port }, "started");
  const startedAt = Date.now();
  child.on("exit", (code, signal) => {
    running.delete(proc.name);
    if (stopping) {
      log.info({ proc: proc.name, code, signal }, "stopped");
      if (running.size === 0) process.exit(0);
      stopWaiting();
      return;
    }
    // A process that ran a while before dying starts over at a short delay.
    const nextAttempt = Date.now() - startedAt > 60_000 ? 0 : attempt + 1;
    const delay = Math.min(30_000, 500 * 2 ** nextAttempt);
    log.error({ proc: proc.name, code, signal, restartInMs: delay }, "exited unexpectedly");
    setTimeout(() => !stopping && start(proc, nextAttempt), delay);
  });
}

function stopAll(signal: NodeJS.Signals): void {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, "stopping all processes");
  if (running.size === 0) process.exit(0);
  stopWaiting();
  setTimeout(() => {
    for (const [name, child] of running) {
      log.error({ proc: name }, "did not stop in time, killing");
      child.kill("SIGKILL");
    }
    process.exit(1);
  }, 45_000).unref();
}

/** Sends SIGTERM to every running process that is not waiting for another one to exit first. */
function stopWaiting(): void {
  for (const [name, child] of running) {
    const after = procs.find((p) => p.name === name)?.stopsAfter;
    if (signalled.has(name) || (after && running.has(after))) continue;
    signalled.add(name);
    child.kill("SIGTERM");
  }
}

process.on("SIGINT", () => stopAll("SIGINT"));
process.on("SIGTERM", () => stopAll("SIGTERM"));
// The terminal closed: in their own groups, the others would not hear of it.
process.on("SIGHUP", () => stopAll("SIGHUP"));
// Dying on an error of its own, it leaves no process behind: each still gets the chance to finish its batch.
process.on("exit", () => {
  for (const child of running.values()) child.kill("SIGTERM");
});
for (const proc of procs) start(proc);
