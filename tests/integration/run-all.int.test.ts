import { spawn } from "node:child_process";
import net from "node:net";
import { createInterface } from "node:readline";
import { afterAll, describe, expect, it } from "vitest";
import { waitFor } from "./helpers";

// `npm start` / `npm run start:all` (scripts/run-all.ts) as a terminal runs it: its own process group, stopped by a
// Ctrl-C that the terminal sends to the whole group. Only the simulator and bulk-proc (`--only`), which must stop in
// that order: bulk-proc drains its window against a carrier that is still there.

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });

const logs: Record<string, unknown>[] = [];
let group: number | undefined;

afterAll(() => {
  // A run that failed half-way: run-all stops what it started.
  try {
    if (group) process.kill(group, "SIGTERM");
  } catch {
    // Gone already.
  }
});

describe("run-all", () => {
  it("on a Ctrl-C to its whole process group, stops bulk-proc before the SMSC simulator, each cleanly", async () => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "scripts/run-all.ts", "--only", "smsc-simulator,bulk-proc"],
      {
        // A terminal's foreground job: a group of its own, which the Ctrl-C below goes to.
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
        env: {
          ...process.env,
          LOG_LEVEL: "info",
          WEB_PORT: String(await freePort()),
          SMSC_PORT: String(await freePort()),
          SMSC_HTTP_PORT: String(await freePort()),
          // No provider in the database is this bulk-proc's, so it binds none.
          DELIVERY_PROVIDER_NAME_PREFIX: `run-all-test-${Date.now()}-`,
        },
      },
    );
    group = child.pid;
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on("line", (line) => {
        try {
          logs.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          logs.push({ raw: line });
        }
      });
    }
    const started = (name: string) => logs.some((l) => l.msg === `${name} started`);
    await waitFor(
      async () => started("smsc-simulator") && started("bulk-proc"),
      (ok) => ok || child.exitCode !== null,
      { what: "the simulator and bulk-proc to start", timeoutMs: 90_000 },
    );
    expect(started("bulk-proc"), JSON.stringify(logs.slice(-5))).toBe(true);

    process.kill(-child.pid!, "SIGINT");
    expect(await exited).toBe(0);
    const stopped = logs.filter((l) => l.name === "run-all" && l.msg === "stopped");
    expect(stopped.map((l) => [l.proc, l.code])).toEqual([
      ["bulk-proc", 0],
      ["smsc-simulator", 0],
    ]);
  });
});
