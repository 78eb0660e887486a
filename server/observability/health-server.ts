import http from "node:http";
import type { AddressInfo } from "node:net";
import { registry } from "./metrics";

export type HealthCheck = () => Promise<{ ok: boolean; detail?: string }>;

export type HealthServer = { port: number; close(): Promise<void> };

/**
 * /healthz answers while the process is alive; /readyz runs the checks
 * (dependencies reachable, consumer running); /metrics is Prometheus text.
 */
export async function startHealthServer(opts: {
  port: number;
  host: string;
  name: string;
  checks: Record<string, HealthCheck>;
}): Promise<HealthServer> {
  const server = http.createServer(async (req, res) => {
    try {
      if (req.url === "/healthz") {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true, name: opts.name }));
      } else if (req.url === "/readyz") {
        const results: Record<string, { ok: boolean; detail?: string }> = {};
        for (const [key, check] of Object.entries(opts.checks)) {
          results[key] = await check().catch((err: Error) => ({ ok: false, detail: err.message }));
        }
        const ok = Object.values(results).every((r) => r.ok);
        res
          .writeHead(ok ? 200 : 503, { "content-type": "application/json" })
          .end(JSON.stringify({ ok, name: opts.name, checks: results }));
      } else if (req.url === "/metrics") {
        res.writeHead(200, { "content-type": registry.contentType }).end(await registry.metrics());
      } else {
        res.writeHead(404).end();
      }
    } catch (err) {
      res.writeHead(500).end((err as Error).message);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
