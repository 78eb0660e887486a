import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUploadFromStream, createUploadFromText, readUploadRows } from "@/server/uploads/service";
import { createTestDeps } from "./helpers";

// Recipient files against the real Postgres: stored in chunks while parsed
// as a stream, refused with a clear message when unusable.

let deps: Awaited<ReturnType<typeof createTestDeps>>;
const opts = { fileName: "list.csv", maxBytes: 10 * 1024 * 1024, operatorId: null };

beforeAll(async () => {
  deps = await createTestDeps();
});
afterAll(async () => {
  await deps?.close();
});

/** Splits text into tiny pieces so parsing and chunking cross every boundary. */
function pieces(text: string, size = 7): Readable {
  const buf = Buffer.from(text, "utf8");
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) parts.push(buf.subarray(i, i + size));
  return Readable.from(parts);
}

async function rowsOf(uploadId: string, fromRow?: number) {
  const rows = [];
  for await (const r of readUploadRows(deps.db.pool, uploadId, { fromRow })) rows.push(r);
  return rows;
}

describe("uploads", () => {
  it("stores a CSV, counts bad rows and reads rows back with their variables", async () => {
    const csv =
      'name;Mobile;code\nAnn;+447911123401;A1\n"Bo; Jr";07911 123402;"B""2"\nbad-row-only-two;x\nCé;+447911123403;C3\n;;\n';
    const upload = await createUploadFromStream(deps.db, pieces(csv), opts);
    expect(upload).toMatchObject({
      delimiter: ";",
      columns: ["name", "Mobile", "code"],
      phoneColumn: "Mobile",
      rowCount: 5,
      validRowCount: 3,
      invalidRowCount: 2,
    });
    expect(upload.rowErrors).toEqual([
      { row: 3, line: 4, error: "expected 3 columns, found 2" },
      { row: 5, line: 6, error: "empty phone number" },
    ]);
    const rows = await rowsOf(upload.id);
    expect(rows).toEqual([
      { row: 1, phone: "+447911123401", variables: { name: "Ann", Mobile: "+447911123401", code: "A1" } },
      { row: 2, phone: "07911 123402", variables: { name: "Bo; Jr", Mobile: "07911 123402", code: 'B"2' } },
      { row: 4, phone: "+447911123403", variables: { name: "Cé", Mobile: "+447911123403", code: "C3" } },
    ]);
    expect((await rowsOf(upload.id, 2)).map((r) => r.row)).toEqual([4]);
  });

  it("keeps rows intact across 1 MiB chunk boundaries", async () => {
    const lines = ["phone,name"];
    for (let i = 0; i < 60_000; i++) lines.push(`+4479111${String(i).padStart(5, "0")},Näme ${i}`);
    const upload = await createUploadFromStream(deps.db, pieces(lines.join("\n") + "\n", 65_536), opts);
    expect(upload.rowCount).toBe(60_000);
    const { rows } = await deps.db.pool.query("SELECT count(*)::int AS n FROM upload_chunks WHERE upload_id = $1", [
      upload.id,
    ]);
    expect(rows[0].n).toBeGreaterThan(1);
    const back = await rowsOf(upload.id);
    expect(back).toHaveLength(60_000);
    expect(back[59_999]).toEqual({
      row: 60_000,
      phone: "+447911159999",
      variables: { phone: "+447911159999", name: "Näme 59999" },
    });
  });

  it("refuses unusable files with a clear message and keeps nothing", async () => {
    const before = await deps.db.prisma.upload.count();
    const refuse = (text: string, maxBytes = opts.maxBytes) =>
      createUploadFromStream(deps.db, pieces(text), { ...opts, maxBytes });
    await expect(refuse("")).rejects.toThrow("The file is empty");
    await expect(refuse("phone\n")).rejects.toThrow("The file has a header but no rows");
    await expect(refuse("name,email\nAnn,a@b.c\n")).rejects.toThrow(/No phone column.*"name", "email"/);
    await expect(refuse('phone,name\n+447911123401,"Ann\n')).rejects.toThrow(/Broken quoting/);
    await expect(refuse('phone,name\n+447911123401,"Ann"x\n')).rejects.toThrow(/Broken quoting/);
    await expect(refuse("phone\n" + "+447911123401\n".repeat(100), 200)).rejects.toThrow(/larger than/);
    await expect(refuse("phone,name\n,Ann\n")).rejects.toThrow(/None of the 1 rows/);
    expect(await deps.db.prisma.upload.count()).toBe(before);
  });

  it("turns a pasted list into a one-column upload", async () => {
    const upload = await createUploadFromText(deps.db, "+447911123401, +447911123402\n\n07911123403;", opts);
    expect(upload).toMatchObject({ columns: ["phone"], rowCount: 3, invalidRowCount: 0 });
    expect((await rowsOf(upload.id)).map((r) => r.phone)).toEqual(["+447911123401", "+447911123402", "07911123403"]);
  });
});
