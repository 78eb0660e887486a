import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimForSubmit, recordSubmissions, writeOutcomes } from "@/server/delivery/submissions";
import type { RoutedMessage } from "@/server/kafka/topics";
import { createTestClient, createTestDeps, hotUpdatesOf, indexesAndOptions, waitFor } from "./helpers";

// bulk-proc's submissions table against the real Postgres: a message's row is inserted once (already claimed, on
// bulk-proc's normal path) and updated once or twice (claimed if it was inserted PENDING, then submitted), and those
// updates are heap-only (HOT), which is why no index of `submissions` may name a column they change.

let deps: Awaited<ReturnType<typeof createTestDeps>>;

beforeAll(async () => {
  deps = await createTestDeps();
});

afterAll(async () => {
  await deps.close();
});

const UPDATED_COLUMNS = [
  "state",
  "provider_id",
  "attempts",
  "provider_message_id",
  "last_error",
  "submitted_at",
  "updated_at",
];

describe("submissions", () => {
  it("keeps every column a submit changes out of the indexes of submissions, and room for HOT updates on its pages", async () => {
    const { indexed, options } = await indexesAndOptions(deps.db.pool, "submissions");
    expect(indexed).toEqual(expect.arrayContaining(["message_id", "unconfirmed", "valid_until", "recipient"]));
    expect(indexed.filter((c) => UPDATED_COLUMNS.includes(c))).toEqual([]);
    expect(options).toContain("fillfactor=50");
  });

  it("claims and records a wave of submissions without new index entries", async () => {
    const client = await createTestClient(deps.api, { balance: 1_000n });
    const account = await deps.db.prisma.account.findFirstOrThrow({ where: { clientId: client.id } });
    const provider = await deps.db.prisma.provider.create({
      data: { name: `it-subs-${randomUUID().slice(0, 8)}`, kind: "SMPP", maxTps: 0, settings: {} },
    });
    const messages = Array.from(
      { length: 300 },
      (_, i) =>
        ({
          messageId: `sub-${randomUUID()}`,
          clientId: client.id,
          accountId: account.id,
          recipient: `+4479112${String(90_000 + i).padStart(5, "0")}`,
          sender: "TESTCO",
          createdAt: new Date().toISOString(),
        }) as RoutedMessage,
    );
    const ids = messages.map((m) => m.messageId);
    try {
      const hotBefore = await hotUpdatesOf(deps.db.pool, "submissions");
      expect((await recordSubmissions(deps.db.pool, messages, 3_600)).inserted.size).toBe(300);
      // Again (a redelivered batch): nothing inserted, every row found as it was.
      const again = await recordSubmissions(deps.db.pool, messages, 3_600);
      expect(again.inserted.size).toBe(0);
      expect([...again.existing.values()].filter((r) => r.state === "PENDING").length).toBe(300);
      const claimed = await claimForSubmit(
        deps.db.pool,
        ids.map((messageId) => ({ messageId, providerId: provider.id })),
      );
      expect(claimed.size).toBe(300);
      await writeOutcomes(
        deps.db.pool,
        ids.map((messageId, i) => ({
          messageId,
          state: "SUBMITTED",
          providerId: provider.id,
          providerMessageId: `p-${i}`,
          error: null,
        })),
        ids.map((messageId, i) => ({ providerId: provider.id, providerMessageId: `p-${i}`, messageId })),
      );
      const { rows } = await deps.db.pool.query<{ state: string; unconfirmed: boolean; n: number }>(
        `SELECT state, unconfirmed, count(*)::int AS n FROM submissions WHERE message_id = ANY($1::text[])
         GROUP BY state, unconfirmed`,
        [ids],
      );
      expect(rows).toEqual([{ state: "SUBMITTED", unconfirmed: false, n: 300 }]);

      // Statistics reach pg_stat_user_tables when the writing connection goes idle (within seconds). Other tests'
      // updates can only add to the count. Nearly all of these 600 updates find room on their page; with an index
      // on state, none would.
      const hot = await waitFor(
        async () => (await hotUpdatesOf(deps.db.pool, "submissions")) - hotBefore,
        (n) => n >= 420,
        { timeoutMs: 30_000, what: "HOT updates of submissions" },
      );
      expect(hot).toBeGreaterThanOrEqual(420);

      // Claimed by their insert (bulk-proc's normal path): SUBMITTING for their provider at once, one attempt, and a
      // claim statement finds nothing left to claim; unclaimed ones are PENDING beside them.
      const more = messages.map((m) => ({ ...m, messageId: `${m.messageId}-b` }));
      ids.push(...more.map((m) => m.messageId));
      const recorded = await recordSubmissions(
        deps.db.pool,
        more,
        3_600,
        more.map((_, i) => (i % 3 === 0 ? null : provider.id)),
      );
      expect([...recorded.inserted.values()].filter((r) => r.state === "SUBMITTING").length).toBe(200);
      const stored = await deps.db.pool.query<{
        state: string;
        provider_id: string | null;
        attempts: number;
        n: number;
      }>(
        `SELECT state, provider_id, attempts, count(*)::int AS n FROM submissions WHERE message_id = ANY($1::text[])
         GROUP BY 1, 2, 3 ORDER BY 1`,
        [more.map((m) => m.messageId)],
      );
      expect(stored.rows).toEqual([
        { state: "PENDING", provider_id: null, attempts: 0, n: 100 },
        { state: "SUBMITTING", provider_id: provider.id, attempts: 1, n: 200 },
      ]);
      const reclaimed = await claimForSubmit(
        deps.db.pool,
        more.map((m) => ({ messageId: m.messageId, providerId: provider.id })),
      );
      expect(reclaimed.size).toBe(100);
    } finally {
      await deps.db.pool.query("DELETE FROM provider_messages WHERE message_id = ANY($1::text[])", [ids]);
      await deps.db.pool.query("DELETE FROM submissions WHERE message_id = ANY($1::text[])", [ids]);
      await deps.db.prisma.provider.delete({ where: { id: provider.id } });
    }
  });
});
