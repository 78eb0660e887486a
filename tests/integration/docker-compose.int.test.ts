import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { WORKER_NODE_FLAGS } from "../../scripts/worker-node";

// docker-compose.yml must stay valid and in step with scripts/run-all.ts: one
// compose service per worker, all app containers on the same database, Redis
// and Kafka. Needs only Debian's `docker-compose` (1.29), which validates and
// resolves a compose file without a Docker engine; scripts/test.sh installs it.
//
// `docker-compose config` prints the resolved file as YAML (1.29 has no JSON
// output). It is parsed by the Python that runs docker-compose itself, which
// always has PyYAML (the Debian package depends on python3-yaml), so the test
// needs no YAML library in node_modules.

const root = fileURLToPath(new URL("../..", import.meta.url));
const composeFile = "docker-compose.yml";

type Service = {
  image?: string;
  build?: unknown;
  command?: string | string[];
  environment?: Record<string, string | number | null> | string[];
  healthcheck?: { test?: string | string[] };
  stop_grace_period?: string;
  init?: boolean;
  depends_on?: Record<string, { condition?: string }> | string[];
};
type Compose = { services: Record<string, Service> };

function run(cmd: string, args: string[], input?: string) {
  const res = spawnSync(cmd, args, { cwd: root, input, encoding: "utf8", timeout: 60_000 });
  if (res.error) throw new Error(`could not run ${cmd}: ${res.error.message}`);
  return res;
}

let composePathMemo: string | undefined;
function dockerCompose(): string {
  if (composePathMemo) return composePathMemo;
  const found = run("sh", ["-c", "command -v docker-compose"]).stdout.trim();
  if (!found) {
    throw new Error(
      "docker-compose is not installed (not on PATH). Install it with `apt-get install -y docker-compose` " +
        "(scripts/test.sh does); it validates docker-compose.yml without a Docker engine.",
    );
  }
  composePathMemo = found;
  return found;
}

/** The Python interpreter docker-compose runs on (it has PyYAML), else python3. */
function python(): string {
  try {
    const firstLine = readFileSync(dockerCompose(), "utf8").split("\n", 1)[0] ?? "";
    const shebang = /^#!\s*(\S*python[\d.]*)\s*$/.exec(firstLine);
    if (shebang?.[1]) return shebang[1];
  } catch {
    // A binary docker-compose: fall back to python3 below.
  }
  return "python3";
}

let resolvedMemo: Compose | undefined;
function resolvedConfig(): Compose {
  if (resolvedMemo) return resolvedMemo;
  const config = run(dockerCompose(), ["-f", composeFile, "config"]);
  if (config.status !== 0) throw new Error(`docker-compose config failed (${config.status}):\n${config.stderr}`);
  const toJson = "import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)";
  const parsed = run(python(), ["-c", toJson], config.stdout);
  if (parsed.status !== 0) throw new Error(`could not parse docker-compose config output as YAML:\n${parsed.stderr}`);
  resolvedMemo = JSON.parse(parsed.stdout) as Compose;
  return resolvedMemo;
}

function commandOf(service: Service): string[] {
  const cmd = service.command;
  if (Array.isArray(cmd)) return cmd.flatMap((part) => part.split(/\s+/));
  return typeof cmd === "string" ? cmd.split(/\s+/) : [];
}

function envOf(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v == null ? "" : String(v)]));
}

/** `workers/<name>.ts` of every entry in run-all.ts's WORKERS array. */
function workerFiles(): string[] {
  const source = readFileSync(`${root}/scripts/run-all.ts`, "utf8");
  const block = /const WORKERS\b[^=]*=\s*\[([\s\S]*?)\];/.exec(source);
  if (!block?.[1]) throw new Error("could not find the WORKERS array in scripts/run-all.ts");
  return [...block[1].matchAll(/workers\/[\w.-]+\.ts/g)].map((m) => m[0]);
}

describe("docker-compose.yml", () => {
  it("is a valid compose file (docker-compose config -q)", () => {
    const res = run(dockerCompose(), ["-f", composeFile, "config", "-q"]);
    expect(res.status, `docker-compose config -q failed:\n${res.stderr}`).toBe(0);
  });

  it("defines the infrastructure, migrate and web services", () => {
    const services = Object.keys(resolvedConfig().services ?? {});
    for (const name of ["kafka", "postgres", "redis", "migrate", "web", "validator"]) {
      expect(services, `service "${name}" missing from ${composeFile}`).toContain(name);
    }
  });

  it("has a service for every worker in scripts/run-all.ts", () => {
    const files = workerFiles();
    expect(files.length, "no workers/<name>.ts entries found in run-all.ts WORKERS").toBeGreaterThan(0);
    const services = resolvedConfig().services;
    for (const file of files) {
      const match = Object.entries(services).find(([, s]) => commandOf(s).includes(file));
      expect(match, `no compose service runs ${file} (listed in scripts/run-all.ts WORKERS)`).toBeDefined();
      const [name, service] = match!;
      expect(service.stop_grace_period, `worker service "${name}" needs a stop_grace_period`).toBeTruthy();
      // As run-all.ts starts every worker.
      for (const flag of WORKER_NODE_FLAGS) {
        expect(commandOf(service), `worker service "${name}" runs node without ${flag}`).toContain(flag);
      }
      expect(service.healthcheck?.test, `worker service "${name}" needs a healthcheck`).toBeTruthy();
    }
  });

  it("stops the SMSC simulator after bulk-proc (compose stops dependents first), and bulk-proc after its infrastructure is up", () => {
    const dependsOn = resolvedConfig().services["bulk-proc"]?.depends_on ?? {};
    const names = Array.isArray(dependsOn) ? dependsOn : Object.keys(dependsOn);
    for (const name of ["smsc-simulator", "migrate", "kafka", "redis"]) {
      expect(names, `bulk-proc should depend on ${name}`).toContain(name);
    }
  });

  it("seeds as npm start does (the demo campaign too), once Postgres and Redis are up", () => {
    const migrate = resolvedConfig().services.migrate!;
    expect(commandOf(migrate).join(" ")).toContain("prisma/seed.ts --demo-campaign");
    const dependsOn = migrate.depends_on ?? {};
    const names = Array.isArray(dependsOn) ? dependsOn : Object.keys(dependsOn);
    for (const name of ["postgres", "redis"]) expect(names, `migrate should depend on ${name}`).toContain(name);
  });

  it("points every app service at the same database, Redis and Kafka", () => {
    const services = resolvedConfig().services;
    const appImage = services.web?.image;
    expect(appImage, "web service has no image").toBeTruthy();
    const appServices = Object.entries(services).filter(([, s]) => s.image === appImage || s.build !== undefined);
    const names = appServices.map(([name]) => name);
    for (const name of ["migrate", "web", "validator"]) {
      expect(names, `"${name}" should run the app image ${appImage}`).toContain(name);
    }

    const webEnv = envOf(services.web!);
    const databaseUrl = webEnv.DATABASE_URL;
    const brokers = webEnv.KAFKA_BROKERS;
    expect(databaseUrl, "web has no DATABASE_URL").toMatch(/^postgres(ql)?:\/\/[^/]*@?postgres:5432\//);
    expect(brokers, "web has no KAFKA_BROKERS").toBe("kafka:9092");
    for (const [name, service] of appServices) {
      const env = envOf(service);
      expect(env.DATABASE_URL, `${name}: DATABASE_URL differs from web's`).toBe(databaseUrl);
      expect(env.KAFKA_BROKERS, `${name}: KAFKA_BROKERS differs from web's`).toBe(brokers);
      expect(env.REDIS_URL, `${name}: REDIS_URL differs from web's`).toBe(webEnv.REDIS_URL);
      // server/env.ts refuses NODE_ENV=production with the dev default secret.
      expect(env.SESSION_SECRET ?? "", `${name}: SESSION_SECRET must be set and not the dev default`).not.toMatch(
        /^(dev-only.*)?$/,
      );
    }
  });
});
