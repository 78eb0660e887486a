import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestClient, createTestDeps } from "./helpers";

// Migration message_owner_checks: messages have no row-level foreign keys to clients and campaigns (two lookups and
// two row locks per inserted message); statement-level triggers keep the same rules. These hold them to what the
// foreign keys did: unknown owners refused, owners locked against deletion until the inserting transaction ends, a
// client with messages kept, a deleted campaign's messages released.

let deps: Awaited<ReturnType<typeof createTestDeps>>;

beforeAll(async () => {
  deps = await createTestDeps();
});

afterAll(async () => {
  await deps.close();
});

async function createCampaign(clientId: string) {
  const upload = await deps.db.prisma.upload.create({
    data: { fileName: "o.csv", sizeBytes: 0n, delimiter: ",", columns: ["phone"], phoneColumn: "phone", rowCount: 0 },
  });
  return deps.db.prisma.campaign.create({
    data: { clientId, name: "owners", senderId: "TESTCO", template: "x", uploadId: upload.id },
  });
}

const INSERT = `INSERT INTO messages (id, client_id, campaign_id, recipient, sender, body)
  SELECT id, client_id, campaign_id, '+447700900123', 'TESTCO', 'x'
  FROM unnest($1::text[], $2::text[], $3::text[]) AS t(id, client_id, campaign_id)`;

type Row = { id: string; clientId: string; campaignId: string | null };
const insert = (rows: Row[], db = deps.db.pool) =>
  db.query(INSERT, [rows.map((r) => r.id), rows.map((r) => r.clientId), rows.map((r) => r.campaignId)]);
const count = (clientId: string) => deps.db.prisma.message.count({ where: { clientId } });
const ids = (n: number) => Array.from({ length: n }, () => `owner-${randomUUID()}`);

describe("messages and their clients and campaigns", () => {
  it("refuses a statement with one message of an unknown client or campaign, whole", async () => {
    const client = await createTestClient(deps.api);
    const campaign = await createCampaign(client.id);
    const [a, b, c] = ids(3);
    const good = [
      { id: a!, clientId: client.id, campaignId: campaign.id },
      { id: b!, clientId: client.id, campaignId: null },
    ];
    await expect(insert([...good, { id: c!, clientId: "no-such-client", campaignId: null }])).rejects.toMatchObject({
      code: "23503",
      constraint: "messages_client_id_fkey",
      detail: 'Key (client_id)=(no-such-client) is not present in table "clients".',
    });
    await expect(
      insert([...good, { id: c!, clientId: client.id, campaignId: "no-such-campaign" }]),
    ).rejects.toMatchObject({ code: "23503", constraint: "messages_campaign_id_fkey" });
    expect(await count(client.id)).toBe(0);

    await insert(good);
    expect(await count(client.id)).toBe(2);
    // Moving a message to an unknown client or campaign is refused as well.
    await expect(
      deps.db.pool.query("UPDATE messages SET client_id = 'no-such-client' WHERE id = $1", [a]),
    ).rejects.toMatchObject({ code: "23503", constraint: "messages_client_id_fkey" });
    await expect(
      deps.db.pool.query("UPDATE messages SET campaign_id = 'no-such-campaign' WHERE id = $1", [b]),
    ).rejects.toMatchObject({ code: "23503", constraint: "messages_campaign_id_fkey" });
  });

  it("keeps a client that has messages, and its id", async () => {
    const client = await createTestClient(deps.api);
    await insert([{ id: ids(1)[0]!, clientId: client.id, campaignId: null }]);
    await expect(deps.db.pool.query("DELETE FROM clients WHERE id = $1", [client.id])).rejects.toMatchObject({
      code: "23503",
      constraint: "messages_client_id_fkey",
    });
    await expect(
      deps.db.pool.query("UPDATE clients SET id = $2 WHERE id = $1", [client.id, `renamed-${client.id}`]),
    ).rejects.toMatchObject({ code: "23503" });
    expect(await deps.db.prisma.client.count({ where: { id: client.id } })).toBe(1);
  });

  it("leaves a deleted campaign's messages without a campaign id, and keeps a referenced campaign's id", async () => {
    const client = await createTestClient(deps.api);
    const [kept, gone] = [await createCampaign(client.id), await createCampaign(client.id)];
    const [a, b] = ids(2);
    await insert([
      { id: a!, clientId: client.id, campaignId: kept.id },
      { id: b!, clientId: client.id, campaignId: gone.id },
    ]);
    await expect(
      deps.db.pool.query("UPDATE campaigns SET id = $2 WHERE id = $1", [kept.id, `renamed-${kept.id}`]),
    ).rejects.toMatchObject({ code: "23503" });
    await deps.db.pool.query("DELETE FROM campaign_counters WHERE campaign_id = $1", [gone.id]);
    await deps.db.pool.query("DELETE FROM campaigns WHERE id = $1", [gone.id]);
    const rows = await deps.db.prisma.message.findMany({ where: { id: { in: [a!, b!] } }, orderBy: { id: "asc" } });
    expect(Object.fromEntries(rows.map((r) => [r.id, r.campaignId]))).toEqual({ [a!]: kept.id, [b!]: null });
  });

  it("locks the client of an uncommitted insert: its deletion waits for the commit, then is refused", async () => {
    const client = await createTestClient(deps.api);
    const inserting = await deps.db.pool.connect();
    const deleting = await deps.db.pool.connect();
    try {
      await inserting.query("BEGIN");
      await insert([{ id: ids(1)[0]!, clientId: client.id, campaignId: null }], inserting as never);
      await deleting.query("SET lock_timeout = '10s'");
      let settled = false;
      const deletion = deleting.query("DELETE FROM clients WHERE id = $1", [client.id]).finally(() => {
        settled = true;
      });
      deletion.catch(() => undefined);
      // Without the lock the delete would see no committed message of this client and go through at once.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(settled).toBe(false);
      await inserting.query("COMMIT");
      await expect(deletion).rejects.toMatchObject({ code: "23503", constraint: "messages_client_id_fkey" });
      expect(await count(client.id)).toBe(1);
    } finally {
      await inserting.query("ROLLBACK").catch(() => undefined);
      inserting.release();
      deleting.release();
    }
  });
});
