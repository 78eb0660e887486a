import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { providerStatusKey } from "@/server/delivery/keys";
import { SmscSimulator, type SmscSimulatorConfig } from "@/server/smsc/simulator";
import { RedisSmscStore } from "@/server/smsc/store";
import { waitFor, type createTestDeps } from "./helpers";

type TestDeps = Awaited<ReturnType<typeof createTestDeps>>;

/**
 * SMSC simulators of one test file (in its process, on free ports, their counts in Redis under a namespace of their
 * own), each with a provider row and a routing rule: what a file needs to deliver through the real SMPP path. The
 * file's bulk-proc should bind only `namePrefix()` providers (the database is shared with other runs).
 */
export function smscFixture(getDeps: () => TestDeps, log: Logger) {
  const simulators: SmscSimulator[] = [];
  const stores: RedisSmscStore[] = [];
  const providerIds: string[] = [];
  const ruleIds: string[] = [];
  const systemId = `it${randomUUID().slice(0, 8)}`;
  const password = "it-pass1";
  const namePrefix = () => getDeps().env.KAFKA_TOPIC_PREFIX;

  async function startSimulator(
    namespace: string,
    overrides: Partial<SmscSimulatorConfig> = {},
  ): Promise<{ sim: SmscSimulator; store: RedisSmscStore }> {
    const store = new RedisSmscStore(getDeps().redis, namespace);
    stores.push(store);
    const sim = await SmscSimulator.start(
      {
        host: "127.0.0.1",
        port: 0,
        httpPort: null,
        credentials: [{ systemId, password }],
        receiptDelayMs: 200,
        ratios: { undeliverable: 0, expired: 0 },
        maxTps: 0,
        ...overrides,
      },
      { store, log },
    );
    simulators.push(sim);
    return { sim, store };
  }

  /** A provider row for the simulator and a routing rule sending everything of this client to it; waits for the bind. */
  async function routeToSimulator(clientId: string, port: number, { maxTps = 0, binds = 1 } = {}) {
    const { db } = getDeps();
    const provider = await db.prisma.provider.create({
      data: {
        name: `${namePrefix()}sim-${randomUUID().slice(0, 8)}`,
        kind: "SMPP",
        maxTps,
        settings: {
          host: "127.0.0.1",
          port,
          systemId,
          password,
          binds,
          windowSize: 20,
          enquireLinkIntervalMs: 1_000,
          responseTimeoutMs: 5_000,
          reconnectMaxMs: 500,
        },
      },
    });
    providerIds.push(provider.id);
    const rule = await db.prisma.routingRule.create({
      data: { clientId, prefix: "", providerIds: [provider.id] },
    });
    ruleIds.push(rule.id);
    await waitForBound(provider.id);
    return provider;
  }

  /** The status the pool publishes for the console says bound. */
  async function waitForBound(providerId: string) {
    const deps = getDeps();
    await waitFor(
      () => deps.redis.hgetall(providerStatusKey(deps.env.KAFKA_TOPIC_PREFIX, providerId)),
      (h) => h.state === "bound",
      { what: `provider ${providerId} bound`, timeoutMs: 30_000 },
    );
  }

  /** After each test: its providers go away with its simulators, so later tests bind only their own. */
  async function stopSimulators() {
    await getDeps().db.prisma.provider.updateMany({ where: { id: { in: providerIds } }, data: { enabled: false } });
    await Promise.all(simulators.splice(0).map((s) => s.stop()));
  }

  /** After all: the rows and the simulators' counts go. */
  async function cleanup() {
    const { db } = getDeps();
    await db.prisma.routingRule.deleteMany({ where: { id: { in: ruleIds } } });
    await db.prisma.provider.deleteMany({ where: { id: { in: providerIds } } });
    await Promise.all(stores.map((s) => s.reset()));
  }

  return { systemId, password, simulators, namePrefix, startSimulator, routeToSimulator, stopSimulators, cleanup };
}
