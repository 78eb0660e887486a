import { Readable, Transform, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { CsvError } from "csv-parse";
import type pg from "pg";
import type { Db } from "../db";
import { AppError } from "../errors";
import { createCsvParser, detectDelimiter, findPhoneColumn, rowProblem, type ParsedCsvRecord } from "./csv";

/** Bytes per stored chunk of an upload. */
export const UPLOAD_CHUNK_BYTES = 1024 * 1024;
/** What the parser is handed at a time when rows are read back. */
const PARSE_SLICE_BYTES = 64 * 1024;
/** How many bad rows an upload keeps as examples. */
const ROW_ERROR_SAMPLE = 20;
/** The header line must appear within this many bytes. */
const MAX_HEADER_BYTES = 64 * 1024;

export type UploadSummary = {
  id: string;
  fileName: string;
  sizeBytes: number;
  delimiter: string;
  columns: string[];
  phoneColumn: string;
  rowCount: number;
  validRowCount: number;
  invalidRowCount: number;
  rowErrors: RowError[];
};

export type RowError = { row: number; line: number; error: string };

const DELIMITER_NAMES: Record<string, string> = { ",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe" };

/**
 * Stores a recipient file while parsing it as a stream: bytes go to Postgres
 * in 1 MiB chunks and rows are checked as they pass, so memory stays flat
 * whatever the file size. A file that cannot be used (empty, no phone
 * column, broken quoting, too large) is refused with a clear message and
 * nothing is kept; bad rows are counted and sampled, not fatal.
 */
export async function createUploadFromStream(
  db: Db,
  source: AsyncIterable<Uint8Array>,
  opts: { fileName: string; maxBytes: number; operatorId: string | null },
): Promise<UploadSummary> {
  const upload = await db.prisma.upload.create({
    data: {
      fileName: opts.fileName.slice(0, 255) || "upload.csv",
      sizeBytes: 0n,
      status: "FAILED",
      delimiter: ",",
      columns: [],
      phoneColumn: "",
      rowCount: 0,
      createdById: opts.operatorId,
    },
  });
  try {
    const summary = await storeAndCheck(db.pool, upload.id, source, opts.maxBytes);
    await db.prisma.upload.update({
      where: { id: upload.id },
      data: {
        status: "READY",
        sizeBytes: BigInt(summary.sizeBytes),
        delimiter: summary.delimiter,
        columns: summary.columns,
        phoneColumn: summary.phoneColumn,
        rowCount: summary.rowCount,
        invalidRowCount: summary.invalidRowCount,
        rowErrors: summary.rowErrors,
      },
    });
    return { id: upload.id, fileName: upload.fileName, ...summary };
  } catch (err) {
    await db.prisma.upload.delete({ where: { id: upload.id } }).catch(() => undefined);
    if (err instanceof AppError) throw err;
    if (isCsvError(err)) throw new AppError("BAD_REQUEST", describeCsvError(err));
    throw err;
  }
}

/** A pasted list becomes an upload with one "phone" column. */
export async function createUploadFromText(
  db: Db,
  text: string,
  opts: { maxBytes: number; operatorId: string | null },
) {
  const numbers = text
    .split(/[\r\n,;]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  if (numbers.length === 0) throw new AppError("BAD_REQUEST", "The recipient list is empty");
  const csv = "phone\n" + numbers.map((n) => (/[",\n]/.test(n) ? `"${n.replace(/"/g, '""')}"` : n)).join("\n") + "\n";
  return createUploadFromStream(db, Readable.from([Buffer.from(csv, "utf8")]), { fileName: "pasted.csv", ...opts });
}

type Checked = Omit<UploadSummary, "id" | "fileName">;

async function storeAndCheck(
  pool: pg.Pool,
  uploadId: string,
  source: AsyncIterable<Uint8Array>,
  maxBytes: number,
): Promise<Checked> {
  let sizeBytes = 0;
  let seq = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    if (pendingBytes === 0) return;
    const data = Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    await pool.query("INSERT INTO upload_chunks (upload_id, seq, data) VALUES ($1, $2, $3)", [uploadId, seq++, data]);
  };

  // The delimiter comes from the header line: read until it is complete,
  // then parse everything (that head included) in one pipeline.
  const iterator = source[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  while (!head.includes(0x0a) && head.length < MAX_HEADER_BYTES) {
    const next = await iterator.next();
    if (next.done) break;
    head = Buffer.concat([head, Buffer.from(next.value)]);
  }
  async function* everything() {
    if (head.length > 0) yield head;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield Buffer.from(next.value);
    }
  }
  const delimiter = detectDelimiter(head.toString("utf8").split(/\r?\n/)[0] ?? "");

  let columns: string[] | null = null;
  let phoneIndex = -1;
  let rowCount = 0;
  let invalidRowCount = 0;
  const rowErrors: RowError[] = [];

  const store = new Transform({
    async transform(chunk: Buffer, _enc, done) {
      try {
        sizeBytes += chunk.length;
        if (sizeBytes > maxBytes) {
          throw new AppError(
            "BAD_REQUEST",
            `The file is larger than the ${Math.floor(maxBytes / (1024 * 1024))} MiB limit`,
          );
        }
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes >= UPLOAD_CHUNK_BYTES) await flush();
        done(null, chunk);
      } catch (err) {
        done(err as Error);
      }
    },
  });

  const checkRows = new Writable({
    objectMode: true,
    write(item: ParsedCsvRecord, _enc, done) {
      if (columns === null) {
        columns = item.record;
        const phone = findPhoneColumn(columns);
        if (phone === null) {
          const found = columns.map((c) => `"${c}"`).join(", ");
          return done(
            new AppError(
              "BAD_REQUEST",
              `No phone column: name one column phone, msisdn, mobile, number or to (found ${found}, reading the file as ${DELIMITER_NAMES[delimiter]}-separated)`,
            ),
          );
        }
        phoneIndex = columns.indexOf(phone);
        return done();
      }
      rowCount++;
      const problem = rowProblem(item.record, columns.length, phoneIndex);
      if (problem) {
        invalidRowCount++;
        if (rowErrors.length < ROW_ERROR_SAMPLE)
          rowErrors.push({ row: rowCount, line: item.info.lines, error: problem });
      }
      done();
    },
  });

  await pipeline(Readable.from(everything()), store, createCsvParser(delimiter), checkRows);
  await flush();

  if (columns === null) throw new AppError("BAD_REQUEST", "The file is empty");
  if (rowCount === 0) throw new AppError("BAD_REQUEST", "The file has a header but no rows");
  if (rowCount === invalidRowCount) {
    throw new AppError(
      "BAD_REQUEST",
      `None of the ${rowCount} rows can be sent (first problem: ${rowErrors[0]?.error})`,
    );
  }
  return {
    sizeBytes,
    delimiter,
    columns,
    phoneColumn: columns[phoneIndex]!,
    rowCount,
    validRowCount: rowCount - invalidRowCount,
    invalidRowCount,
    rowErrors,
  };
}

export type RecipientRow = { row: number; phone: string; variables: Record<string, string> };

/**
 * Streams an upload's sendable rows in file order, one stored chunk in
 * memory at a time. Rows are numbered as at upload time (bad rows keep their
 * numbers), so `fromRow` resumes exactly after a checkpoint.
 */
export async function* readUploadRows(
  pool: pg.Pool,
  uploadId: string,
  opts: { fromRow?: number } = {},
): AsyncGenerator<RecipientRow> {
  const { rows } = await pool.query<{ delimiter: string; columns: string[]; phone_column: string; status: string }>(
    "SELECT delimiter, columns, phone_column, status FROM uploads WHERE id = $1",
    [uploadId],
  );
  const upload = rows[0];
  if (!upload || upload.status !== "READY") throw new AppError("NOT_FOUND", `Upload ${uploadId} is not ready`);
  const phoneIndex = upload.columns.indexOf(upload.phone_column);
  async function* chunks() {
    for (let seq = 0; ; seq++) {
      const res = await pool.query<{ data: Buffer }>(
        "SELECT data FROM upload_chunks WHERE upload_id = $1 AND seq = $2",
        [uploadId, seq],
      );
      if (res.rows.length === 0) return;
      // Smaller pieces keep the parser's working set (and the peak RSS) down.
      const data = res.rows[0]!.data;
      for (let i = 0; i < data.length; i += PARSE_SLICE_BYTES) yield data.subarray(i, i + PARSE_SLICE_BYTES);
    }
  }
  // One stored chunk in flight at a time (the default would read ahead 16 MiB).
  const parser = Readable.from(chunks(), { highWaterMark: 1 }).pipe(createCsvParser(upload.delimiter));
  const fromRow = opts.fromRow ?? 0;
  let row = -1;
  for await (const item of parser as AsyncIterable<ParsedCsvRecord>) {
    row++;
    if (row === 0 || row <= fromRow) continue;
    if (rowProblem(item.record, upload.columns.length, phoneIndex)) continue;
    const variables: Record<string, string> = {};
    upload.columns.forEach((name, i) => (variables[name] = item.record[i] ?? ""));
    yield { row, phone: item.record[phoneIndex]!, variables };
  }
}

function isCsvError(err: unknown): err is CsvError {
  return err instanceof CsvError;
}

function describeCsvError(err: CsvError): string {
  const line = (err as unknown as { lines?: number }).lines;
  const where = line ? ` near line ${line}` : "";
  if (/quote/i.test(err.code) || /quote/i.test(err.message)) {
    return `Broken quoting${where}: a quoted field is not closed or has text after its closing quote`;
  }
  return `The file is not valid CSV${where}: ${err.message}`;
}
