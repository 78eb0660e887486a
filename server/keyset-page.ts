import { AppError } from "./errors";

// Newest-first keyset paging over (a timestamp, id), as the console's and the Client API's lists page: a cursor names
// the last row of the page before ("<ISO time>|<id>"), each page reads one row more than it shows to know whether
// another follows, and every condition is a bound parameter.

export function cursorOf(at: Date, id: string): string {
  return `${at.toISOString()}|${id}`;
}

export function parseCursor(cursor: string | null | undefined): { at: Date; id: string } | null {
  if (!cursor) return null;
  const bar = cursor.indexOf("|");
  const at = new Date(cursor.slice(0, bar));
  if (bar < 0 || Number.isNaN(at.getTime())) throw new AppError("BAD_REQUEST", "Invalid cursor");
  return { at, id: cursor.slice(bar + 1) };
}

/** The WHERE conditions and parameters of one page's query. */
export class KeysetQuery {
  readonly params: unknown[] = [];
  private readonly conditions: string[] = [];

  /** A condition on a value: `sql` gets the value's placeholder ($n). */
  where(sql: (placeholder: string) => string, value: unknown): this {
    this.params.push(value);
    this.conditions.push(sql(`$${this.params.length}`));
    return this;
  }

  /** A condition without a value. */
  whereSql(sql: string): this {
    this.conditions.push(sql);
    return this;
  }

  /** Rows after the cursor's, newest first by (atColumn, idColumn). */
  after(cursor: string | null | undefined, atColumn: string, idColumn: string): this {
    const after = parseCursor(cursor);
    if (!after) return this;
    this.params.push(after.at, after.id);
    this.conditions.push(`(${atColumn}, ${idColumn}) < ($${this.params.length - 1}, $${this.params.length})`);
    return this;
  }

  get whereClause(): string {
    return this.conditions.length > 0 ? this.conditions.join(" AND ") : "true";
  }

  /** The LIMIT placeholder: one row more than the page. */
  limit(pageSize: number): string {
    this.params.push(pageSize + 1);
    return `$${this.params.length}`;
  }
}

/** The page (at most pageSize of the rows read) and the cursor of the next, null on the last. */
export function pageOf<R>(rows: R[], pageSize: number, keyOf: (row: R) => { at: Date; id: string }) {
  const page = rows.slice(0, pageSize);
  const last = page[page.length - 1];
  const key = last && rows.length > pageSize ? keyOf(last) : null;
  return { page, nextCursor: key ? cursorOf(key.at, key.id) : null };
}
