import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPrepaidLane } from "@/server/billing/lanes";
import { partitionOfKey } from "@/server/kafka/partitioner";
import { DLQ_HEADERS, routedPacking, TOPICS, type BulkMessage, type RoutedMessage } from "@/server/kafka/topics";
import type { StartedWorker } from "@/server/worker/run-worker";
import {
  cdrsOnTopic,
  createTestClient,
  createTestDeps,
  partitionCount,
  readTopic,
  routedOnTopic,
  startStages,
  waitFor,
} from "./helpers";

// The prepaid balance gate against real Kafka, Redis and Postgres: racing
// senders can never spend more than the balance, and a replayed message is
// never reserved twice.

let deps: Awaited<ReturnType<typeof createTestDeps>>;
let stages: { stop(): Promise<void> };
let extraGate: StartedWorker;
const prefixed = (name: string) => deps.env.KAFKA_TOPIC_PREFIX + name;

beforeAll(async () => {
  deps = await createTestDeps();
  stages = await startStages(deps, ["validator", "status-writer", "prepaid-high", "prepaid-low", "prepaid-manager"]);
  // A second gate instance on the same lane, so reservations race across consumers.
  extraGate = await startPrepaidLane("high")(deps);
});

afterAll(async () => {
  await extraGate?.stop();
  await stages?.stop();
  await deps?.close();
});

describe("prepaid balance gate", () => {
  it("lets 50 racing senders spend exactly the balance and no more", async () => {
    const covered = 40;
    // The test plan charges 2 per segment by default; one-segment messages.
    const client = await createTestClient(deps.api, { balance: BigInt(covered * 2) });
    const account = await deps.db.prisma.account.findFirstOrThrow({ where: { clientId: client.id } });
    const message = (sender: number, k: number): BulkMessage => ({
      v: 1,
      messageId: `race-${client.id}-${sender}-${k}`,
      clientId: client.id,
      campaignId: null,
      row: null,
      recipient: `+4474008${String(sender * 10 + k).padStart(5, "0")}`,
      sender: "TESTCO",
      template: "Your code is 1234",
      variables: {},
      category: "AUTHENTICATION",
      createdAt: new Date().toISOString(),
    });
    // 50 senders, 2 messages each, all at once, spread over partitions.
    await Promise.all(
      Array.from({ length: 50 }, (_, s) =>
        deps.producer.send(
          prefixed(TOPICS.bulk.name),
          [message(s, 0), message(s, 1)].map((m) => ({ key: m.messageId, value: JSON.stringify(m) })),
        ),
      ),
    );

    const refused = await waitFor(
      () => deps.db.prisma.message.count({ where: { clientId: client.id, statusReason: "INSUFFICIENT_BALANCE" } }),
      (n) => n === 100 - covered,
      { what: "the messages the balance does not cover to be refused", timeoutMs: 60_000 },
    );
    expect(refused).toBe(60);
    // Kafka delivery is at least once (a produce retried after a lost ack lands twice) and the deduction service
    // charges a cdrId once: what counts is the distinct CDRs.
    const cdrsOf = (records: { value: string }[]) => [
      ...new Map(
        cdrsOnTopic(records)
          .filter((c) => c.accountId === account.id)
          .map((c) => [c.cdrId, c]),
      ).values(),
    ];
    const mine = cdrsOf(
      await readTopic(deps.kafka, prefixed(TOPICS.usageCdrHigh.name), (records) => cdrsOf(records).length >= covered),
    );
    expect(mine).toHaveLength(covered);
    expect(mine.reduce((sum, c) => sum + BigInt(c.amount), 0n)).toBe(BigInt(covered * 2));
    expect(await deps.redis.get(`account:${account.id}:available`)).toBe("0");

    // The deduction service applies the CDRs: the balance is exactly spent.
    const settled = await waitFor(
      () => deps.db.prisma.account.findUniqueOrThrow({ where: { id: account.id } }),
      (a) => a.balance === 0n,
      { what: "the CDRs to be applied to Postgres", timeoutMs: 60_000 },
    );
    expect(settled.balance).toBe(0n);
    const charges = await deps.db.prisma.ledgerEntry.aggregate({
      where: { accountId: account.id, type: "CHARGE" },
      _sum: { amount: true },
      _count: true,
    });
    expect(charges).toMatchObject({ _count: covered, _sum: { amount: BigInt(-covered * 2) } });
    await waitFor(
      () => deps.redis.hlen(`account:${account.id}:pending`),
      (n) => n === 0,
      { what: "reservations settled" },
    );
    expect(await deps.redis.get(`account:${account.id}:available`)).toBe("0");

    // The charged ones went on to delivery; the refused did not. (One per messageId: at least once, as above.)
    const mineOn = (records: { value: string }[]) => [
      ...new Map(
        routedOnTopic(records)
          .filter((m) => m.accountId === account.id)
          .map((m) => [m.messageId, m]),
      ).values(),
    ];
    const sent = mineOn(
      await readTopic(deps.kafka, prefixed(TOPICS.sendHigh.name), (records) => mineOn(records).length >= covered),
    );
    const sentIds = new Set(sent.map((m) => m.messageId));
    expect([...sentIds].sort()).toEqual(mine.map((c) => c.messageId).sort());

    // Replaying the charged messages into the gate reserves nothing and charges nothing more: half as v1 records,
    // half packed (v2) beside a message that is not valid, which goes to the dead letters alone.
    const half = Math.floor(sent.length / 2);
    await deps.producer.send(
      prefixed(TOPICS.prepaidHigh.name),
      sent.slice(0, half).map((m) => ({ key: m.messageId, value: JSON.stringify(m) })),
    );
    // On the partition of a valid one, so that both travel in one record.
    const partitions = await partitionCount(deps.kafka, prefixed(TOPICS.prepaidHigh.name));
    let brokenId = `broken-${client.id}`;
    while (partitionOfKey(brokenId, partitions) !== partitionOfKey(sent[half]!.messageId, partitions)) brokenId += "x";
    const broken: RoutedMessage = { ...sent[0]!, messageId: brokenId, recipient: "0740" };
    await deps.producer.sendPacked(prefixed(TOPICS.prepaidHigh.name), routedPacking, [broken, ...sent.slice(half)]);
    const dead = await readTopic(deps.kafka, prefixed(TOPICS.prepaidHigh.dlq), (records) =>
      records.some((r) => r.key === broken.messageId),
    );
    const deadBroken = dead.filter((r) => r.key === broken.messageId);
    expect(deadBroken).toHaveLength(1);
    expect(JSON.parse(deadBroken[0]!.value)).toEqual(broken);
    expect(deadBroken[0]!.headers[DLQ_HEADERS.error]).toMatch(/recipient: must be E\.164/);
    // Re-emitted CDRs carry their own time; a produce retried after a lost ack is the same bytes.
    const mineAll = (records: { value: string }[]) => cdrsOnTopic(records).filter((c) => c.accountId === account.id);
    const after = await readTopic(
      deps.kafka,
      prefixed(TOPICS.usageCdrHigh.name),
      (records) => new Set(mineAll(records).map((c) => `${c.cdrId} ${c.at}`)).size >= covered * 2,
    );
    const charged = mineAll(after);
    // Re-emitted CDRs carry the same ids: the deduction service applies each once.
    expect(new Set(charged.map((c) => c.cdrId)).size).toBe(covered);
    expect(await deps.redis.get(`account:${account.id}:available`)).toBe("0");
    await waitFor(
      () => deps.redis.hlen(`account:${account.id}:pending`),
      (n) => n === 0,
      { what: "replays settled" },
    );
    const after2 = await deps.db.prisma.account.findUniqueOrThrow({ where: { id: account.id } });
    expect(after2.balance).toBe(0n);
    expect(await deps.db.prisma.ledgerEntry.count({ where: { accountId: account.id, type: "CHARGE" } })).toBe(covered);
  });
});
