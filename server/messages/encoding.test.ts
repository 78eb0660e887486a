import { describe, expect, it } from "vitest";
import {
  analyzeText,
  decodeGsm7,
  decodeUcs2,
  encodeGsm7,
  encodeUcs2,
  gsm7Septets,
  splitForConcatenation,
  transliterateSmart,
} from "./encoding";

const BASIC_WITHOUT_ESC =
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
  "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const EXTENSION = "\f^{}\\[~]|€";
const EMOJI = "😀"; // U+1F600, two UTF-16 code units

const smart = { smartEncoding: true };
const plain = { smartEncoding: false };

describe("gsm7Septets", () => {
  it("counts each of the 127 basic-table characters as one septet", () => {
    expect([...BASIC_WITHOUT_ESC]).toHaveLength(127);
    expect(gsm7Septets(BASIC_WITHOUT_ESC)).toBe(127);
  });

  it("counts each extension-table character as two septets", () => {
    expect(gsm7Septets(EXTENSION)).toBe(20);
    expect(gsm7Septets("a€b")).toBe(4);
  });

  it("returns null for characters outside both tables", () => {
    for (const ch of ["`", "ç", "ć", "ê", "Ж", EMOJI, "\t", "\x1b", "\u00a0"]) {
      expect(gsm7Septets(`ok ${ch}`), JSON.stringify(ch)).toBeNull();
    }
  });

  it("knows exactly the 137 characters of both tables among all 65,536 UTF-16 code units", () => {
    const gsm = new Set(BASIC_WITHOUT_ESC + EXTENSION);
    let found = 0;
    for (let unit = 0; unit < 0x10000; unit++) {
      const ch = String.fromCharCode(unit);
      const expected = gsm.has(ch) ? (EXTENSION.includes(ch) ? 2 : 1) : null;
      if (gsm7Septets(ch) !== expected) throw new Error(`U+${unit.toString(16)}: ${gsm7Septets(ch)} ≠ ${expected}`);
      if (expected !== null) found++;
    }
    expect(found).toBe(137);
  });

  it("has capital Ç in the basic table", () => {
    expect(gsm7Septets("Ç")).toBe(1);
  });

  it("counts the empty string as zero", () => {
    expect(gsm7Septets("")).toBe(0);
  });
});

describe("analyzeText segments", () => {
  it.each([
    [160, 1],
    [161, 2],
    [306, 2],
    [307, 3],
    [459, 3],
    [460, 4],
  ])("GSM7: %i plain characters make %i segments", (n, segments) => {
    expect(analyzeText("a".repeat(n), plain)).toEqual({ body: "a".repeat(n), encoding: "GSM7", units: n, segments });
  });

  it("counts extension characters as two septets toward the limit", () => {
    expect(analyzeText("€".repeat(80), plain)).toMatchObject({ encoding: "GSM7", units: 160, segments: 1 });
    expect(analyzeText("€".repeat(81), plain)).toMatchObject({ encoding: "GSM7", units: 162, segments: 2 });
  });

  it.each(["ç", "ć", "Ж"])("a single %s forces UCS2", (ch) => {
    const at = (n: number) => analyzeText(ch + "a".repeat(n - 1), smart);
    expect(at(70)).toMatchObject({ encoding: "UCS2", units: 70, segments: 1 });
    expect(at(71)).toMatchObject({ encoding: "UCS2", units: 71, segments: 2 });
    expect(at(134)).toMatchObject({ encoding: "UCS2", units: 134, segments: 2 });
    expect(at(135)).toMatchObject({ encoding: "UCS2", units: 135, segments: 3 });
  });

  it("counts an emoji as two UTF-16 units", () => {
    expect(analyzeText(EMOJI, smart)).toEqual({ body: EMOJI, encoding: "UCS2", units: 2, segments: 1 });
    expect(analyzeText(EMOJI.repeat(35), smart)).toMatchObject({ units: 70, segments: 1 });
    expect(analyzeText(EMOJI.repeat(36), smart)).toMatchObject({ units: 72, segments: 2 });
  });

  it("treats empty text as one segment", () => {
    expect(analyzeText("", smart)).toEqual({ body: "", encoding: "GSM7", units: 0, segments: 1 });
  });
});

describe("smart encoding", () => {
  const fancy = "\u201cHello\u201d \u2014 it\u2019s\u2026\u00a0ok";

  it("turns look-alike punctuation and spaces into GSM-7", () => {
    const body = '"Hello" - it\'s... ok';
    expect(analyzeText(fancy, smart)).toEqual({ body, encoding: "GSM7", units: 20, segments: 1 });
  });

  it("leaves the text as UCS2 when switched off", () => {
    expect(analyzeText(fancy, plain)).toEqual({ body: fancy, encoding: "UCS2", units: 18, segments: 1 });
  });

  it("keeps the original text when real non-GSM characters remain", () => {
    const text = "\u201cПривет\u201d \u2014 it\u2019s";
    expect(analyzeText(text, smart)).toEqual({ body: text, encoding: "UCS2", units: 15, segments: 1 });
  });

  it("can drop the segment count from UCS2 to GSM7", () => {
    const text = "a".repeat(100) + "\u2019";
    expect(analyzeText(text, plain)).toMatchObject({ encoding: "UCS2", segments: 2 });
    expect(analyzeText(text, smart)).toMatchObject({ encoding: "GSM7", units: 101, segments: 1 });
  });

  it("maps the listed look-alikes", () => {
    expect(transliterateSmart("\u2018a\u2019 \u201ab\u201b `c\u00b4")).toBe("'a' 'b' 'c'");
    expect(transliterateSmart("\u201ca\u201d \u201eb\u201f \u00abc\u00bb")).toBe('"a" "b" "c"');
    expect(transliterateSmart("1\u20132\u20143\u22124\u20105\u20116")).toBe("1-2-3-4-5-6");
    expect(transliterateSmart("wait\u2026")).toBe("wait...");
    expect(transliterateSmart("\u2022 one\n\u2022 two")).toBe("- one\n- two");
  });

  it("maps every listed Unicode space to a plain space", () => {
    const spaces = "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000";
    expect(transliterateSmart(`a${spaces}b`)).toBe(`a${" ".repeat(15)}b`);
  });

  it("removes zero-width characters between GSM text", () => {
    expect(transliterateSmart("\ufeffab\u200bc\u200dd\u00ade\u2060")).toBe("abcde");
  });

  it("keeps joiners that build emoji or non-Latin words", () => {
    const family = "\u{1F468}\u200d\u{1F469}\u200d\u{1F467}";
    const persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645";
    expect(transliterateSmart(family)).toBe(family);
    expect(transliterateSmart(persian)).toBe(persian);
  });

  it("composes decomposed GSM letters but not decomposed non-GSM ones", () => {
    expect(transliterateSmart("Cafe\u0301 A\u030a")).toBe("Café Å");
    expect(transliterateSmart("c\u0327a")).toBe("c\u0327a");
  });

  it("leaves Cyrillic, Chinese and emoji untouched while replacing quotes", () => {
    expect(transliterateSmart("\u201cПривет\u201d 你好 " + EMOJI)).toBe('"Привет" 你好 ' + EMOJI);
  });

  it("never turns GSM text into something else", () => {
    const text = BASIC_WITHOUT_ESC + EXTENSION;
    expect(transliterateSmart(text)).toBe(text);
  });
});

describe("splitForConcatenation", () => {
  const septetsOf = (parts: string[]) => parts.map((p) => gsm7Septets(p));

  it("returns one part when the text fits a single segment", () => {
    expect(splitForConcatenation("a".repeat(160), "GSM7")).toEqual(["a".repeat(160)]);
    expect(splitForConcatenation("a".repeat(158) + "€", "GSM7")).toEqual(["a".repeat(158) + "€"]);
    expect(splitForConcatenation("Ж".repeat(68) + EMOJI, "UCS2")).toEqual(["Ж".repeat(68) + EMOJI]);
    expect(splitForConcatenation("", "GSM7")).toEqual([""]);
  });

  it("splits a 3-segment GSM7 text into parts of at most 153 septets", () => {
    const text = Array.from({ length: 400 }, (_, i) => "abcdefghij"[i % 10]).join("");
    const parts = splitForConcatenation(text, "GSM7");
    expect(septetsOf(parts)).toEqual([153, 153, 94]);
    expect(parts.join("")).toBe(text);
    expect(analyzeText(text, plain).segments).toBe(3);
  });

  it("moves an extension character whole to the next part", () => {
    const text = "a".repeat(152) + "€" + "b".repeat(10);
    const parts = splitForConcatenation(text, "GSM7");
    expect(parts).toEqual(["a".repeat(152), "€" + "b".repeat(10)]);
    expect(septetsOf(parts)).toEqual([152, 12]);
  });

  it("needs an extra GSM7 part when an escape pair is pushed over the boundary", () => {
    // 306 septets: ceil(306 / 153) = 2, but the first part can only take 152.
    const text = "a".repeat(152) + "€" + "b".repeat(152);
    expect(gsm7Septets(text)).toBe(306);
    const parts = splitForConcatenation(text, "GSM7");
    expect(septetsOf(parts)).toEqual([152, 153, 1]);
    expect(parts.join("")).toBe(text);
    expect(analyzeText(text, plain)).toMatchObject({ units: 306, segments: 3 });
  });

  it("moves a surrogate pair whole to the next UCS2 part", () => {
    const text = "Ж".repeat(66) + EMOJI + "Ж".repeat(5);
    const parts = splitForConcatenation(text, "UCS2");
    expect(parts).toEqual(["Ж".repeat(66), EMOJI + "Ж".repeat(5)]);
    expect(parts.join("")).toBe(text);
  });

  it("needs an extra UCS2 part when a surrogate pair is pushed over the boundary", () => {
    // 134 units: ceil(134 / 67) = 2, but the first part can only take 66.
    const text = "Ж".repeat(66) + EMOJI + "Ж".repeat(66);
    const parts = splitForConcatenation(text, "UCS2");
    expect(parts.map((p) => p.length)).toEqual([66, 67, 1]);
    expect(parts.join("")).toBe(text);
    expect(analyzeText(text, smart)).toMatchObject({ units: 134, segments: 3 });
  });

  it("fills UCS2 parts to 67 code units", () => {
    const text = "Ж".repeat(135);
    expect(splitForConcatenation(text, "UCS2").map((p) => p.length)).toEqual([67, 67, 1]);
  });

  it("splits the transliterated body the way analyzeText counted it", () => {
    const text = "\u2019".repeat(161);
    const { body, encoding, segments } = analyzeText(text, smart);
    expect(encoding).toBe("GSM7");
    expect(splitForConcatenation(body, encoding)).toEqual(["'".repeat(153), "'".repeat(8)]);
    expect(segments).toBe(2);
  });

  it("refuses to split non-GSM text as GSM7", () => {
    expect(() => splitForConcatenation("Привет", "GSM7")).toThrow(RangeError);
  });
});

describe("GSM-7 bytes", () => {
  it("encodes one byte per basic septet and escape + code per extension character", () => {
    expect([...encodeGsm7("@£$Ç\n")]).toEqual([0x00, 0x01, 0x02, 0x09, 0x0a]);
    expect([...encodeGsm7("A€|")]).toEqual([0x41, 0x1b, 0x65, 0x1b, 0x40]);
    expect([...encodeGsm7("¡§¿à")]).toEqual([0x40, 0x5f, 0x60, 0x7f]);
  });

  it("round-trips the whole alphabet including the extension table", () => {
    const text = BASIC_WITHOUT_ESC + EXTENSION;
    const bytes = encodeGsm7(text);
    expect(bytes).toHaveLength(127 + 20);
    expect(decodeGsm7(bytes)).toBe(text);
  });

  it("throws on a non-GSM character", () => {
    expect(() => encodeGsm7("ok ç")).toThrow("U+00E7 is not in the GSM 03.38 alphabet");
    expect(() => encodeGsm7(EMOJI)).toThrow("U+1F600 is not in the GSM 03.38 alphabet");
  });

  it("decodes reserved escapes as TS 23.038 says and rejects malformed data", () => {
    expect(decodeGsm7(Buffer.from([0x1b, 0x41]))).toBe("A");
    expect(decodeGsm7(Buffer.from([0x1b, 0x1b]))).toBe(" ");
    expect(() => decodeGsm7(Buffer.from([0x41, 0x1b]))).toThrow("ends with an escape");
    expect(() => decodeGsm7(Buffer.from([0x80]))).toThrow("not a GSM-7 septet");
  });
});

describe("UCS2 bytes", () => {
  it("encodes UTF-16BE with surrogate pairs", () => {
    expect([...encodeUcs2("AЖ" + EMOJI)]).toEqual([0x00, 0x41, 0x04, 0x16, 0xd8, 0x3d, 0xde, 0x00]);
  });

  it("round-trips text including emoji", () => {
    const text = "Привет 你好 " + EMOJI + " \u{1F468}\u200d\u{1F469}\u200d\u{1F467}";
    expect(decodeUcs2(encodeUcs2(text))).toBe(text);
  });

  it("rejects an odd number of bytes", () => {
    expect(() => decodeUcs2(Buffer.from([0x00, 0x41, 0x00]))).toThrow(RangeError);
  });
});
