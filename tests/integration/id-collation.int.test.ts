import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDeps } from "./helpers";

// Migration byte_order_keys: the per-message tables' ids, references and recipients compare byte by byte (COLLATE
// "C"), which Prisma's schema cannot say. A later migration that re-declared one of these columns would quietly bring
// the language collation back; this keeps it visible.

let deps: Awaited<ReturnType<typeof createTestDeps>>;

beforeAll(async () => {
  deps = await createTestDeps();
});

afterAll(async () => {
  await deps.close();
});

const BYTE_ORDER: Record<string, string[]> = {
  messages: ["id", "client_id", "campaign_id", "recipient"],
  submissions: ["message_id", "recipient"],
  provider_messages: ["provider_id", "provider_message_id", "message_id"],
  ledger_entries: ["reference", "account_id", "campaign_id"],
  usage_records: ["reference", "account_id"],
};

describe("key columns of the per-message tables", () => {
  it("compare byte by byte", async () => {
    const { rows } = await deps.db.pool.query<{
      table_name: string;
      column_name: string;
      collation_name: string | null;
    }>(
      `SELECT table_name, column_name, collation_name FROM information_schema.columns
       WHERE table_schema = current_schema() AND table_name = ANY($1::text[])`,
      [Object.keys(BYTE_ORDER)],
    );
    const collationOf = new Map(rows.map((r) => [`${r.table_name}.${r.column_name}`, r.collation_name]));
    for (const [table, columns] of Object.entries(BYTE_ORDER)) {
      for (const column of columns) expect(collationOf.get(`${table}.${column}`), `${table}.${column}`).toBe("C");
    }
  });

  it("still find, order and join as before: equality is unchanged and ids sort by their bytes", async () => {
    const client = await deps.db.pool.query<{ id: string }>("SELECT id FROM clients LIMIT 1");
    const clientId = client.rows[0]!.id;
    const prefix = `collation-${Date.now()}-`;
    const ids = ["c1-10", "c1-9", "C1-1", "c1-1", "é-1"].map((id) => prefix + id);
    await deps.db.pool.query(
      `INSERT INTO messages (id, client_id, recipient, sender, body)
       SELECT id, $2, '+447700900123', 'TEST', 'x' FROM unnest($1::text[]) AS t(id)`,
      [ids, clientId],
    );
    try {
      const { rows } = await deps.db.pool.query<{ id: string }>(
        `SELECT m.id FROM messages m JOIN clients c ON c.id = m.client_id WHERE m.id LIKE $1 || '%' ORDER BY m.id`,
        [prefix],
      );
      expect(rows.map((r) => r.id.slice(prefix.length))).toEqual(["C1-1", "c1-1", "c1-10", "c1-9", "é-1"]);
      // The foreign key from a byte-ordered column to the default-collation clients.id still holds.
      await expect(
        deps.db.pool.query(
          `INSERT INTO messages (id, client_id, recipient, sender, body)
           VALUES ($1, 'no-such-client', '+447700900123', 'TEST', 'x')`,
          [`${prefix}orphan`],
        ),
      ).rejects.toThrow(/foreign key/);
    } finally {
      await deps.db.pool.query("DELETE FROM messages WHERE id = ANY($1::text[])", [ids]);
    }
  });
});
