import { parse, type Options } from "csv-parse";

// How recipient files are read, at upload and again at launch: the same
// options both times, so row numbers (and so message ids) never shift.

export const DELIMITERS = [",", ";", "\t", "|"] as const;

const PHONE_HEADERS = [
  "phone",
  "phone_number",
  "phonenumber",
  "msisdn",
  "mobile",
  "mobile_number",
  "number",
  "to",
  "recipient",
  "destination",
];

export function normalizeHeader(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, "_");
}

/** The phone column's header, or null when none is recognisable. */
export function findPhoneColumn(columns: string[]): string | null {
  for (const candidate of PHONE_HEADERS) {
    const found = columns.find((c) => normalizeHeader(c) === candidate);
    if (found !== undefined) return found;
  }
  return null;
}

/** Picks the delimiter that splits the header line into the most fields (quotes respected). */
export function detectDelimiter(headerLine: string): string {
  let best: string = ",";
  let bestCount = 0;
  for (const d of DELIMITERS) {
    let count = 0;
    let quoted = false;
    for (const ch of headerLine) {
      if (ch === '"') quoted = !quoted;
      else if (ch === d && !quoted) count++;
    }
    if (count > bestCount) {
      best = d;
      bestCount = count;
    }
  }
  return best;
}

export function csvParserOptions(delimiter: string): Options {
  return {
    delimiter,
    bom: true,
    info: true,
    relax_column_count: true,
    skip_empty_lines: true,
    trim: true,
  };
}

export function createCsvParser(delimiter: string) {
  return parse(csvParserOptions(delimiter));
}

export type ParsedCsvRecord = { record: string[]; info: { lines: number } };

/** Why a data row cannot be sent, or null when it can. */
export function rowProblem(record: string[], columnCount: number, phoneIndex: number): string | null {
  if (record.length !== columnCount) return `expected ${columnCount} columns, found ${record.length}`;
  if (!record[phoneIndex]) return "empty phone number";
  return null;
}
