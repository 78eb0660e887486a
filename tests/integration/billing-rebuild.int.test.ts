import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPrepaidLane } from "@/server/billing/lanes";
import { TOPICS, type RoutedMessage } from "@/server/kafka/topics";
import { createRedis } from "@/server/redis";
import { cdrsOnTopic, createTestClient, createTestDeps, readTopic, statusEventsOnTopic } from "./helpers";

// Redis loses everything (FLUSHALL) in the middle of a run: the gate stops,
// rebuilds every balance from Postgres minus the CDRs not yet applied, and
// the account still cannot spend more than it has. Runs on a Redis of its
// own so that FLUSHALL touches nothing else.

let deps: Awaited<ReturnType<typeof createTestDeps>>;
let redisServer: ChildProcess;
const port = 20_000 + Math.floor(Math.random() * 10_000);

beforeAll(async () => {
  deps = await createTestDeps();
  redisServer = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    {
      stdio: ["ignore", "pipe", "ignore"],
    },
  );
  await new Promise<void>((resolve) =>
    redisServer.stdout!.on("data", (d: Buffer) => d.toString().includes("Ready to accept") && resolve()),
  );
});

afterAll(async () => {
  redisServer?.kill("SIGTERM");
  if (redisServer) await once(redisServer, "exit");
  await deps?.close();
});

describe("billing after Redis loses its data", () => {
  it("rebuilds balances and never overspends", async () => {
    const redis = createRedis(`redis://127.0.0.1:${port}`);
    const gate = await startPrepaidLane("high")({ ...deps, redis });
    try {
      const covered = 30;
      const client = await createTestClient(deps.api, { balance: BigInt(covered * 2) });
      const account = await deps.db.prisma.account.findFirstOrThrow({ where: { clientId: client.id } });
      const routed = (i: number): RoutedMessage => ({
        v: 1,
        messageId: `rebuild-${client.id}-${i}`,
        clientId: client.id,
        accountId: account.id,
        campaignId: null,
        billingType: "PREPAID",
        category: "AUTHENTICATION",
        recipient: `+4474007${String(i).padStart(5, "0")}`,
        sender: "TESTCO",
        body: "code 1234",
        encoding: "GSM7",
        segments: 1,
        createdAt: new Date().toISOString(),
      });
      const send = (from: number, to: number) =>
        deps.producer.send(
          deps.env.KAFKA_TOPIC_PREFIX + TOPICS.prepaidHigh.name,
          Array.from({ length: to - from }, (_, k) => routed(from + k)).map((m) => ({
            key: m.accountId,
            value: JSON.stringify(m),
          })),
        );
      const cdrTopic = deps.env.KAFKA_TOPIC_PREFIX + TOPICS.usageCdrHigh.name;
      // Kafka delivery is at least once (a produce retried after a lost ack lands twice) and the deduction service
      // charges a cdrId once: what counts is the distinct CDRs.
      const cdrsOf = async (atLeast: number) => {
        const mine = (rs: { value: string }[]) =>
          new Map(
            cdrsOnTopic(rs)
              .filter((c) => c.accountId === account.id)
              .map((c) => [c.cdrId, c]),
          );
        return [...mine(await readTopic(deps.kafka, cdrTopic, (rs) => mine(rs).size >= atLeast)).values()];
      };

      await send(0, 20);
      expect(await cdrsOf(20)).toHaveLength(20);
      expect(await redis.get(`account:${account.id}:available`)).toBe(String((covered - 20) * 2));

      await redis.flushall();
      await send(20, 40);
      // No validator ran here, so no message rows: read the gate's refusals off message-status.
      const refusedKeys = (rs: { value: string }[]) =>
        new Set(
          statusEventsOnTopic(rs)
            .filter((e) => e.messageId.startsWith(`rebuild-${client.id}-`) && e.reason === "INSUFFICIENT_BALANCE")
            .map((e) => e.messageId),
        );
      const statuses = await readTopic(
        deps.kafka,
        deps.env.KAFKA_TOPIC_PREFIX + TOPICS.messageStatus.name,
        (rs) => refusedKeys(rs).size >= 10,
      );
      const refused = refusedKeys(statuses).size;
      expect(refused).toBe(10);
      const cdrs = await cdrsOf(covered);
      expect(cdrs).toHaveLength(covered);
      expect(cdrs.reduce((sum, c) => sum + BigInt(c.amount), 0n)).toBe(BigInt(covered * 2));
      expect(await redis.get(`account:${account.id}:available`)).toBe("0");
      expect(await redis.hlen(`account:${account.id}:pending`)).toBe(covered);
    } finally {
      await gate.stop();
      redis.disconnect();
    }
  });
});
