import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MessageStatusEvent, MessageStatusValue } from "@/server/kafka/topics";
import { mirrorCounts, readCampaignCounts } from "@/server/campaigns/counters";
import { writeStatusBatch } from "@/server/messages/status-writer";
import { createTestClient, createTestDeps, hotUpdatesOf, indexesAndOptions, waitFor } from "./helpers";

// The status writer against the real Postgres: a message's row is inserted
// once and moved forward only, and its two updates (SUBMITTED, then final)
// are heap-only (HOT), which is why no index of `messages` may name a column
// those updates change.

let deps: Awaited<ReturnType<typeof createTestDeps>>;

beforeAll(async () => {
  deps = await createTestDeps();
});

afterAll(async () => {
  await deps.close();
});

const UPDATED_COLUMNS = [
  "status",
  "prev_status",
  "status_reason",
  "provider_message_id",
  "updated_at",
  "submitted_at",
  "final_at",
];

let offset = 0;
const asRecords = (events: MessageStatusEvent[]) =>
  events.map((value) => ({
    topic: "message-status",
    partition: 0,
    offset: String(offset++),
    key: value.messageId,
    value,
  }));

function event(
  messageId: string,
  status: MessageStatusValue,
  extra: Partial<MessageStatusEvent> = {},
): MessageStatusEvent {
  return { v: 1, messageId, status, reason: null, stage: "test", at: new Date().toISOString(), ...extra };
}

/** What a message's first status event carries (its row's content): one GSM-7 segment from TESTCO. */
function contentOf(
  clientId: string,
  c: { campaignId?: string; recipient: string; body: string; category?: "MARKETING" | "AUTHENTICATION" },
): NonNullable<MessageStatusEvent["content"]> {
  return {
    clientId,
    campaignId: c.campaignId ?? null,
    recipient: c.recipient,
    sender: "TESTCO",
    body: c.body,
    category: c.category ?? "MARKETING",
    encoding: "GSM7",
    segments: 1,
  };
}

describe("status writer", () => {
  it("keeps every column its updates change out of the indexes of messages, and room for HOT updates on its pages", async () => {
    const { indexed, options } = await indexesAndOptions(deps.db.pool, "messages");
    expect(indexed).toContain("id");
    expect(indexed.filter((c) => UPDATED_COLUMNS.includes(c))).toEqual([]);
    expect(options).toContain("fillfactor=50");
  });

  it("inserts each message once, moves it forward only, and updates it without new index entries", async () => {
    const client = await createTestClient(deps.api);
    const ids = Array.from({ length: 300 }, () => `sw-${randomUUID()}`);
    const content = contentOf(client.id, {
      recipient: "+447700900123",
      body: "Your order has shipped and will arrive tomorrow between 9 and 5.",
    });
    const hotBefore = await hotUpdatesOf(deps.db.pool, "messages");

    await writeStatusBatch(deps, asRecords(ids.map((id) => event(id, "ACCEPTED", { content }))));
    // The same batch again (a redelivery) inserts nothing more.
    await writeStatusBatch(deps, asRecords(ids.map((id) => event(id, "ACCEPTED", { content }))));
    await writeStatusBatch(deps, asRecords(ids.map((id, i) => event(id, "SUBMITTED", { providerMessageId: `p${i}` }))));
    await writeStatusBatch(deps, asRecords(ids.map((id) => event(id, "DELIVERED"))));
    // A late SUBMITTED (a redelivered batch) does not take a message back.
    await writeStatusBatch(deps, asRecords(ids.slice(0, 10).map((id) => event(id, "SUBMITTED"))));

    const { rows } = await deps.db.pool.query<{
      status: string;
      n: number;
      pmids: number;
      submitted: number;
      final: number;
    }>(
      `SELECT status, count(*)::int AS n, count(provider_message_id)::int AS pmids,
              count(submitted_at)::int AS submitted, count(final_at)::int AS final
       FROM messages WHERE id = ANY($1::text[]) GROUP BY status`,
      [ids],
    );
    expect(rows).toEqual([{ status: "DELIVERED", n: 300, pmids: 300, submitted: 300, final: 300 }]);

    // Statistics reach pg_stat_user_tables when the writing connection goes idle (within seconds).
    // Other tests' updates of messages can only add to the count. Nearly all of these 600 updates
    // find room on their page (the first pass fills the free room, the second reuses the space of
    // the versions the first left dead); with an index on status, none would.
    const hot = await waitFor(
      async () => (await hotUpdatesOf(deps.db.pool, "messages")) - hotBefore,
      (n) => n >= 420,
      { timeoutMs: 30_000, what: "HOT updates of messages" },
    );
    expect(hot).toBeGreaterThanOrEqual(420);
  });

  it("merges a message's events of one batch, in any order, into its most advanced status with what each carried", async () => {
    const client = await createTestClient(deps.api);
    const content = contentOf(client.id, { recipient: "+447700900124", body: "Merged", category: "AUTHENTICATION" });
    const [a, b, c] = [1, 2, 3].map((n) => `sw-merge-${n}-${randomUUID()}`) as [string, string, string];
    const at = (s: number) => new Date(Date.UTC(2026, 11, 5, 8, 0, s)).toISOString();
    await writeStatusBatch(
      deps,
      asRecords([
        // a: the receipt first, then the submit, then the content.
        event(a, "DELIVERED", { at: at(3) }),
        event(a, "SUBMITTED", { at: at(2), providerMessageId: "pa" }),
        event(a, "ACCEPTED", { at: at(1), content }),
        // b: in order, the failure carrying no provider id keeps the submit's.
        event(b, "ACCEPTED", { at: at(1), content }),
        event(b, "SUBMITTED", { at: at(2), providerMessageId: "pb" }),
        event(b, "UNDELIVERABLE", { at: at(4), reason: "ABSENT" }),
        // c: accepted and submitted only.
        event(c, "SUBMITTED", { at: at(2), providerMessageId: "pc" }),
        event(c, "ACCEPTED", { at: at(1), content }),
      ]),
    );
    const rows = await deps.db.prisma.message.findMany({ where: { id: { in: [a, b, c] } } });
    const byId = new Map(rows.map((r) => [r.id, r]));
    const view = (id: string) => {
      const r = byId.get(id)!;
      return [
        r.status,
        r.statusReason,
        r.providerMessageId,
        r.submittedAt?.toISOString(),
        r.finalAt?.toISOString(),
        r.body,
      ];
    };
    expect(view(a)).toEqual(["DELIVERED", null, "pa", at(2), at(3), "Merged"]);
    expect(view(b)).toEqual(["UNDELIVERABLE", "ABSENT", "pb", at(2), at(4), "Merged"]);
    expect(view(c)).toEqual(["SUBMITTED", null, "pc", at(2), undefined, "Merged"]);
  });

  it("rejects a status for a message nobody inserted, alone, and records where each moved message came from", async () => {
    const client = await createTestClient(deps.api);
    const content = contentOf(client.id, { recipient: "+447700900125", body: "Known" });
    const [known, fresh, ghost] = ["known", "fresh", "ghost"].map((n) => `sw-${n}-${randomUUID()}`) as [
      string,
      string,
      string,
    ];
    await writeStatusBatch(deps, asRecords([event(known, "ACCEPTED", { content })]));
    const records = asRecords([
      event(known, "SUBMITTED", { providerMessageId: "pk" }),
      event(fresh, "ACCEPTED", { content }),
      // No content and no row: nothing to write it on.
      event(ghost, "DELIVERED"),
    ]);
    const rejected = await writeStatusBatch(deps, records);
    expect(rejected.map((r) => [r.record.value.messageId, r.error])).toEqual([
      [ghost, `status DELIVERED for unknown message ${ghost} carries no content`],
    ]);
    // A late ACCEPTED and a repeated SUBMITTED change nothing and are no one's error.
    expect(
      await writeStatusBatch(
        deps,
        asRecords([event(known, "ACCEPTED", { content }), event(known, "SUBMITTED", { providerMessageId: "pk" })]),
      ),
    ).toEqual([]);
    const { rows } = await deps.db.pool.query<{ id: string; status: string; prev_status: string | null }>(
      "SELECT id, status, prev_status FROM messages WHERE id = ANY($1::text[]) ORDER BY status",
      [[known, fresh, ghost]],
    );
    expect(rows).toEqual([
      { id: fresh, status: "ACCEPTED", prev_status: null },
      { id: known, status: "SUBMITTED", prev_status: "ACCEPTED" },
    ]);
  });

  it("moves the campaign counters by exactly the transitions made when writers race on the same messages", async () => {
    const client = await createTestClient(deps.api);
    const upload = await deps.db.prisma.upload.create({
      data: {
        fileName: "race.csv",
        sizeBytes: 0n,
        delimiter: ",",
        columns: ["phone"],
        phoneColumn: "phone",
        rowCount: 0,
      },
    });
    const campaign = await deps.db.prisma.campaign.create({
      data: { clientId: client.id, name: "race", senderId: "TESTCO", template: "x", uploadId: upload.id },
    });
    const ids = Array.from({ length: 400 }, () => `sw-race-${randomUUID()}`);
    const content = contentOf(client.id, { campaignId: campaign.id, recipient: "+447700900123", body: "Race" });
    // Two workers on one partition for a moment (a rebalance): each writes the same messages' events, in rounds,
    // at the same time, in different orders and groupings.
    const rounds: MessageStatusEvent[][][] = [
      [
        ids.map((id) => event(id, "ACCEPTED", { content })),
        [...ids].reverse().map((id) => event(id, "ACCEPTED", { content })),
      ],
      [
        ids.map((id, i) => event(id, "SUBMITTED", { providerMessageId: `p${i}` })),
        ids.filter((_, i) => i % 2 === 0).map((id) => event(id, "DELIVERED")),
      ],
      [
        [...ids].reverse().map((id, i) => event(id, i % 3 === 0 ? "UNDELIVERABLE" : "DELIVERED")),
        ids.map((id) => event(id, "DELIVERED")),
      ],
    ];
    for (const writers of rounds) {
      await Promise.all(writers.map((events) => writeStatusBatch(deps, asRecords(events))));
    }

    const { rows: stored } = await deps.db.pool.query<{ status: string; n: number }>(
      "SELECT status, count(*)::int AS n FROM messages WHERE campaign_id = $1 GROUP BY status ORDER BY status",
      [campaign.id],
    );
    const { rows: counted } = await deps.db.pool.query<{ status: string; n: number }>(
      "SELECT status, count AS n FROM campaign_counters WHERE campaign_id = $1 AND count <> 0 ORDER BY status",
      [campaign.id],
    );
    expect(stored.reduce((n, r) => n + r.n, 0)).toBe(400);
    expect(stored.every((r) => ["DELIVERED", "UNDELIVERABLE"].includes(r.status))).toBe(true);
    expect(counted).toEqual(stored);
    // The console's live copy in Redis ends as exact, whichever writer copied its values last.
    const exact = Object.fromEntries(stored.map((r) => [r.status, r.n]));
    expect(await readCampaignCounts(deps, campaign.id)).toEqual(exact);
    // Once the copy is gone (its TTL), it is rebuilt from Postgres with the versions, zero counts too: a late copy
    // of the first insert's ACCEPTED 400 (version 0) still cannot bring it back.
    await deps.redis.del(`campaign:${campaign.id}:counts`);
    expect(await readCampaignCounts(deps, campaign.id)).toEqual(exact);
    await mirrorCounts(deps.redis, [{ campaignId: campaign.id, status: "ACCEPTED", count: 400, version: 0 }]);
    expect(await readCampaignCounts(deps, campaign.id)).toEqual(exact);
  });

  it("keeps the newest value of each counter in Redis when the writers' copies arrive out of order", async () => {
    const campaignId = `sw-mirror-${randomUUID()}`;
    // Two writers committed ACCEPTED 10 (version 3) then ACCEPTED 0 (version 4), but copy them the other way round.
    await mirrorCounts(deps.redis, [
      { campaignId, status: "ACCEPTED", count: 0, version: 4 },
      { campaignId, status: "DELIVERED", count: 30, version: 7 },
    ]);
    await mirrorCounts(deps.redis, [
      { campaignId, status: "ACCEPTED", count: 10, version: 3 },
      { campaignId, status: "DELIVERED", count: 20, version: 6 },
      { campaignId, status: "EXPIRED", count: 1, version: 0 },
    ]);
    expect(await readCampaignCounts(deps, campaignId)).toEqual({ DELIVERED: 30, EXPIRED: 1 });
    await mirrorCounts(deps.redis, [{ campaignId, status: "DELIVERED", count: 31, version: 8 }]);
    expect(await readCampaignCounts(deps, campaignId)).toEqual({ DELIVERED: 31, EXPIRED: 1 });
    await deps.redis.del(`campaign:${campaignId}:counts`);
  });
});
