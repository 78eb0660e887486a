import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expireUnconfirmed } from "@/server/delivery/expiry-sweep";
import { earlyKey, pmKey } from "@/server/delivery/keys";
import { tallyParts } from "@/server/delivery/part-tally";
import { applyParkedReceipts, handleProviderReceipts, retryParkedReceipts } from "@/server/delivery/receipts";
import { writeOutcomes } from "@/server/delivery/submissions";
import { createProducer } from "@/server/kafka/client";
import { TOPICS } from "@/server/kafka/topics";
import { createTestClient, createTestDeps, readTopic, statusEventsOnTopic } from "./helpers";

// Receipts and outcomes around a worker that dies at the wrong moment, against the real Postgres, Redis and Kafka.

let deps: Awaited<ReturnType<typeof createTestDeps>>;

beforeAll(async () => {
  deps = await createTestDeps();
});

afterAll(async () => {
  await deps?.close();
});

const receiptDeps = () => ({
  db: deps.db,
  redis: deps.redis,
  producer: deps.producer,
  topicPrefix: deps.env.KAFKA_TOPIC_PREFIX,
});

describe("parked receipts and submit outcomes", () => {
  it("a parked receipt whose status could not be produced stays parked and is applied by the sweep", async () => {
    const prefix = deps.env.KAFKA_TOPIC_PREFIX;
    const providerId = `prov-${randomUUID()}`;
    const partId = `pm-${randomUUID()}`;
    const messageId = `msg-${randomUUID()}`;
    // The receipt overtakes its submit_sm_resp: nobody knows the id yet, so it is parked (and the carrier answered).
    const first = await handleProviderReceipts(receiptDeps(), providerId, [
      { providerMessageId: partId, status: "DELIVERED", errorCode: "000" },
    ]);
    expect(first).toEqual({ matched: 0, early: 1 });
    // The submit path maps the id, then applies what was parked; its produce fails, as for a worker dying right there.
    await deps.redis.set(pmKey(prefix, providerId, partId), messageId, "EX", 600);
    const dead = await createProducer(deps.kafka);
    await dead.disconnect();
    await expect(applyParkedReceipts({ ...receiptDeps(), producer: dead }, providerId, [partId])).rejects.toThrow();
    expect(await deps.redis.exists(earlyKey(prefix, providerId, partId))).toBe(1);

    // The parked-receipt sweep of any live worker applies it, once, and then forgets it.
    expect(await retryParkedReceipts(receiptDeps(), 0)).toBeGreaterThanOrEqual(1);
    expect(await deps.redis.exists(earlyKey(prefix, providerId, partId))).toBe(0);
    const records = await readTopic(deps.kafka, prefix + TOPICS.messageStatus.name, (rs) =>
      statusEventsOnTopic(rs).some((e) => e.messageId === messageId),
    );
    expect(
      statusEventsOnTopic(records)
        .filter((e) => e.messageId === messageId)
        .map((e) => e.status),
    ).toEqual(["DELIVERED"]);
  });

  it("a submit outcome and its segments' provider ids are written together or not at all", async () => {
    const client = await createTestClient(deps.api, { balance: 1_000n });
    const account = await deps.db.prisma.account.findFirstOrThrow({ where: { clientId: client.id } });
    const provider = await deps.db.prisma.provider.create({
      data: { name: `it-parked-${randomUUID().slice(0, 8)}`, kind: "SMPP", maxTps: 0, settings: {} },
    });
    const [sent, broken] = [`msg-${randomUUID()}`, `msg-${randomUUID()}`];
    try {
      await deps.db.pool.query(
        `INSERT INTO submissions (message_id, client_id, account_id, state, recipient, sender, valid_until, attempts)
         SELECT id, $2, $3, 'SUBMITTING', '+447911200001', 'TESTCO', now() + interval '1 hour', 1
         FROM unnest($1::text[]) AS t(id)`,
        [[sent, broken], client.id, account.id],
      );
      const parts = (messageId: string) =>
        [1, 2].map((n) => ({ providerId: provider.id, providerMessageId: `${messageId}-${n}`, messageId }));
      const outcome = (messageId: string, state: string) => ({
        messageId,
        state: state as "SUBMITTED",
        providerId: provider.id,
        providerMessageId: `${messageId}-1`,
        error: null,
      });
      await writeOutcomes(deps.db.pool, [outcome(sent, "SUBMITTED")], parts(sent));
      // A statement that fails (here an unknown state) leaves neither the outcome nor the mapping behind.
      await expect(writeOutcomes(deps.db.pool, [outcome(broken, "NO_SUCH_STATE")], parts(broken))).rejects.toThrow();

      const states = await deps.db.pool.query<{ message_id: string; state: string }>(
        "SELECT message_id, state FROM submissions WHERE message_id = ANY($1::text[]) ORDER BY message_id",
        [[sent, broken]],
      );
      expect(new Map(states.rows.map((r) => [r.message_id, r.state]))).toEqual(
        new Map([
          [sent, "SUBMITTED"],
          [broken, "SUBMITTING"],
        ]),
      );
      const mapped = await deps.db.pool.query<{ message_id: string; n: number }>(
        `SELECT message_id, count(*)::int AS n FROM provider_messages WHERE message_id = ANY($1::text[])
         GROUP BY message_id`,
        [[sent, broken]],
      );
      expect(mapped.rows).toEqual([{ message_id: sent, n: 2 }]);
    } finally {
      await deps.db.pool.query("DELETE FROM provider_messages WHERE message_id = ANY($1::text[])", [[sent, broken]]);
      await deps.db.pool.query("DELETE FROM submissions WHERE message_id = ANY($1::text[])", [[sent, broken]]);
      await deps.db.prisma.provider.delete({ where: { id: provider.id } });
    }
  });
  it("the validity sweep expires an UNCONFIRMED message no receipt decided, and leaves one a receipt decided", async () => {
    const prefix = deps.env.KAFKA_TOPIC_PREFIX;
    const client = await createTestClient(deps.api, { balance: 1_000n });
    const account = await deps.db.prisma.account.findFirstOrThrow({ where: { clientId: client.id } });
    const [silent, delivered] = [`msg-${randomUUID()}`, `msg-${randomUUID()}`];
    try {
      // Both past their validity, UNCONFIRMED (their worker died mid-submit); one had a segment accepted, whose
      // receipt (matched through its recorded id) decided it DELIVERED.
      await deps.db.pool.query(
        `INSERT INTO submissions (message_id, client_id, account_id, state, unconfirmed, recipient, sender, valid_until,
                                  attempts)
         SELECT id, $2, $3, 'UNCONFIRMED', true, '+447911200002', 'TESTCO', now() - interval '1 second', 1
         FROM unnest($1::text[]) AS t(id)`,
        [[silent, delivered], client.id, account.id],
      );
      expect(
        await tallyParts(
          deps.redis,
          prefix,
          [{ messageId: delivered, partId: `${delivered}-1`, status: "DELIVERED", fallbackTotal: 1 }],
          600,
        ),
      ).toEqual([true]);

      expect(await expireUnconfirmed(receiptDeps(), 100_000)).toBeGreaterThanOrEqual(2);
      const states = await deps.db.pool.query<{ message_id: string; state: string }>(
        "SELECT message_id, state FROM submissions WHERE message_id = ANY($1::text[])",
        [[silent, delivered]],
      );
      expect(new Map(states.rows.map((r) => [r.message_id, r.state]))).toEqual(
        new Map([
          [silent, "FAILED"],
          [delivered, "SUBMITTED"],
        ]),
      );
      const records = await readTopic(deps.kafka, prefix + TOPICS.messageStatus.name, (rs) =>
        statusEventsOnTopic(rs).some((e) => e.messageId === silent),
      );
      const events = statusEventsOnTopic(records).filter((e) => e.messageId === silent || e.messageId === delivered);
      expect(events.map((e) => [e.messageId, e.status])).toEqual([[silent, "EXPIRED"]]);
    } finally {
      await deps.db.pool.query("DELETE FROM submissions WHERE message_id = ANY($1::text[])", [[silent, delivered]]);
    }
  });
});
