import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";

// patches/pg+*.patch: pg turns a JS array parameter into a Postgres array literal. The patched arrayString joins
// arrays of plain values (strings without quotes or backslashes, numbers, booleans, nulls) in one go; anything else
// takes pg's own loop. Either way the literal must be exactly the one pg built before: a wrong quote or a lost NULL
// would write wrong data in every batch insert.
const require = createRequire(import.meta.url);
const { prepareValue } = require("pg/lib/utils") as { prepareValue: (value: unknown) => unknown };

/** pg 8.23.1's arrayString, unpatched (strings and dates through its prepareValue as it does). */
function reference(val: unknown[]): string {
  let result = "{";
  for (let i = 0; i < val.length; i++) {
    if (i > 0) result += ",";
    let item = val[i];
    if (item == null) result += "NULL";
    else if (Array.isArray(item)) result += reference(item);
    else if (ArrayBuffer.isView(item)) {
      if (!(item instanceof Buffer)) item = Buffer.from(item.buffer, item.byteOffset, item.byteLength);
      result += "\\\\x" + (item as Buffer).toString("hex");
    } else {
      const text = item instanceof Date ? (prepareValue(item) as string) : String(item);
      result += '"' + text.replace(/\\/g, "\\\\").replace(/"/g, '\\"') + '"';
    }
  }
  return result + "}";
}

const cases: [string, unknown[]][] = [
  ["empty", []],
  ["plain ids", ["c1-1", "c1-2", "camp_3"]],
  ["empty strings and the word NULL", ["", "NULL", "null", ""]],
  ["commas, braces, spaces, unicode", ["a,b", "{x}", " lead", "trail ", "tab\there", "Grüße ✓", "日本"]],
  ["quotes", ['say "hi"', "plain"]],
  ["backslashes", ["C:\\path", "plain"]],
  ["nulls", [null, "a", undefined, "b", null]],
  ["only nulls", [null, undefined]],
  ["holes", ["a", , "c"]],
  ["numbers", [1, -0, 0, 2.5, -7, 1e21, Number.MAX_SAFE_INTEGER, NaN, Infinity]],
  ["numbers and nulls", [1, null, 3]],
  ["booleans", [true, false, null]],
  ["dates", [new Date("2026-12-04T10:00:00.123Z"), null]],
  ["buffers", [Buffer.from([0, 255, 16]), new Uint8Array([1, 2])]],
  [
    "nested",
    [
      ["a", "b"],
      ["c", null],
    ],
  ],
  ["mixed escaping", ['q"', null, "\\", 3, true]],
];

describe("pg array parameters (patched)", () => {
  it.each(cases)("%s: the literal pg built before", (_, values) => {
    expect(prepareValue(values)).toBe(reference(values));
  });

  it("random columns of plain, escaped and null values give pg's literal", () => {
    const alphabet = ["a", "Z", "0", " ", ",", "{", "}", '"', "\\", "é", "NULL", ""];
    let seed = 42;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 500; round++) {
      const values = Array.from({ length: next(20) }, () => {
        const kind = next(10);
        if (kind === 0) return null;
        if (kind === 1) return next(1000) - 500;
        return Array.from({ length: next(6) }, () => alphabet[next(alphabet.length)]).join("");
      });
      expect(prepareValue(values), JSON.stringify(values)).toBe(reference(values));
    }
  });

  it("is the patched module", () => {
    expect(require("node:fs").readFileSync(require.resolve("pg/lib/utils"), "utf8")).toContain("Volley's patch");
  });
});
