import { describe, expect, it } from "vitest";
import { AppError } from "./errors";
import { cursorOf, KeysetQuery, pageOf, parseCursor } from "./keyset-page";

describe("keyset paging", () => {
  it("numbers each value's placeholder in order, the cursor's two and the limit's last", () => {
    const q = new KeysetQuery()
      .where((p) => `client_id = ${p}`, "c1")
      .whereSql("campaign_id IS NULL")
      .after(cursorOf(new Date("2026-12-06T10:00:00.000Z"), "m9"), "created_at", "id");
    expect(q.limit(50)).toBe("$4");
    expect(q.whereClause).toBe("client_id = $1 AND campaign_id IS NULL AND (created_at, id) < ($2, $3)");
    expect(q.params).toEqual(["c1", new Date("2026-12-06T10:00:00.000Z"), "m9", 51]);
    expect(new KeysetQuery().whereClause).toBe("true");
  });

  it("gives the next page's cursor only when a row beyond the page was read", () => {
    const rows = [1, 2, 3].map((n) => ({ id: `m${n}`, at: new Date(Date.UTC(2026, 0, 1, 0, 0, 10 - n)) }));
    const more = pageOf(rows, 2, (r) => r);
    expect(more.page.map((r) => r.id)).toEqual(["m1", "m2"]);
    expect(parseCursor(more.nextCursor)).toEqual({ at: rows[1]!.at, id: "m2" });
    expect(pageOf(rows, 3, (r) => r).nextCursor).toBeNull();
  });

  it("refuses a cursor it did not make", () => {
    expect(parseCursor(null)).toBeNull();
    expect(() => parseCursor("yesterday|m1")).toThrow(AppError);
    expect(() => parseCursor("no-bar")).toThrow("Invalid cursor");
  });
});
