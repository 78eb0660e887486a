import { Buffer } from "node:buffer";

export type Encoding = "GSM7" | "UCS2";

export type TextAnalysis = { body: string; encoding: Encoding; units: number; segments: number };

/** GSM 03.38 / 3GPP TS 23.038 default alphabet, indexed by septet value. */
const GSM7_BASIC =
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
  "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

const ESC = 0x1b;

const GSM7_EXTENSION: ReadonlyMap<string, number> = new Map([
  ["\f", 0x0a],
  ["^", 0x14],
  ["{", 0x28],
  ["}", 0x29],
  ["\\", 0x2f],
  ["[", 0x3c],
  ["~", 0x3d],
  ["]", 0x3e],
  ["|", 0x40],
  ["€", 0x65],
]);

// 0x1B is the escape to the extension table, not a character a sender can put in a text.
const BASIC_CODE: ReadonlyMap<string, number> = new Map(
  [...GSM7_BASIC].map((ch, code) => [ch, code] as const).filter(([, code]) => code !== ESC),
);

/**
 * The GSM code of every UTF-16 code unit: its basic-table septet, EXTENDED | its extension-table code (sent after an
 * escape), or NOT_GSM. Every GSM character is in the BMP, so one code unit is one character, and sizing or encoding a
 * text is one array lookup per unit rather than a Map lookup per one-character string: the validator sizes every
 * message and bulk-proc encodes every one.
 */
const NOT_GSM = -1;
const EXTENDED = 0x100;
const GSM_OF_UNIT = new Int16Array(0x10000).fill(NOT_GSM);
for (const [ch, code] of BASIC_CODE) GSM_OF_UNIT[ch.charCodeAt(0)] = code;
for (const [ch, code] of GSM7_EXTENSION) GSM_OF_UNIT[ch.charCodeAt(0)] = EXTENDED | code;

const EXTENSION_CHAR: ReadonlyMap<number, string> = new Map([...GSM7_EXTENSION].map(([ch, code]) => [code, ch]));

// With a 6-byte concatenation UDH, 7 septets (GSM7) or 3 code units (UCS2) of the 140 bytes are gone.
const LIMITS: Record<Encoding, { single: number; part: number }> = {
  GSM7: { single: 160, part: 153 },
  UCS2: { single: 70, part: 67 },
};

const SINGLE_QUOTE = "'";
const DOUBLE_QUOTE = '"';

/**
 * Characters that render like a GSM-7 character but would otherwise force the whole message to UCS2, which more than
 * doubles its segment count. Mostly what word processors and phone keyboards auto-substitute.
 */
const LOOKALIKES: ReadonlyMap<string, string> = new Map([
  ...charsTo("\u2018\u2019\u201a\u201b\u2032\u2035\u00b4\u02bc\u2039\u203a`", SINGLE_QUOTE),
  ...charsTo("\u201c\u201d\u201e\u201f\u2033\u2036\u00ab\u00bb", DOUBLE_QUOTE),
  ...charsTo("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63", "-"),
  ...charsTo("\t\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000", " "),
  ...charsTo("\u2028\u2029", "\n"),
  ...charsTo("\u2022\u2023\u2043\u2219", "-"),
  ...charsTo("\u2044\u2215", "/"),
  ["\u2026", "..."],
  ["\u02c6", "^"],
  ["\u02dc", "~"],
]);

/**
 * Invisible formatting characters. Next to Latin text they are paste debris (BOM, soft hyphen, zero-width space), but
 * ZWJ builds emoji sequences, ZWNJ is orthographic in Persian and Indic scripts and ZWSP separates Thai words, so they
 * are only dropped when nothing on either side is real non-GSM text.
 */
const INVISIBLES: ReadonlySet<string> = new Set(["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]);

const COMBINING_MARK = /^[\u0300-\u036f]$/;

function charsTo(chars: string, replacement: string): [string, string][] {
  return [...chars].map((ch) => [ch, replacement]);
}

function septetCost(ch: string): 1 | 2 | null {
  const gsm = ch.length === 1 ? GSM_OF_UNIT[ch.charCodeAt(0)]! : NOT_GSM;
  if (gsm === NOT_GSM) return null;
  return gsm & EXTENDED ? 2 : 1;
}

function isRealNonGsm(ch: string | undefined): boolean {
  return ch !== undefined && septetCost(ch) === null && !LOOKALIKES.has(ch) && !INVISIBLES.has(ch);
}

export function transliterateSmart(text: string): string {
  const chars = Array.from(text);
  let out = "";
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    const lookalike = LOOKALIKES.get(ch);
    if (lookalike !== undefined) {
      out += lookalike;
      continue;
    }
    if (INVISIBLES.has(ch)) {
      if (isRealNonGsm(chars[i - 1]) || isRealNonGsm(chars[i + 1])) out += ch;
      continue;
    }
    // Decomposed text (macOS, some pasted sources) spells GSM letters such as é or Å as base + combining mark.
    const next = chars[i + 1];
    if (next !== undefined && COMBINING_MARK.test(next)) {
      const composed = (ch + next).normalize("NFC");
      if (septetCost(composed) !== null) {
        out += composed;
        i++;
        continue;
      }
    }
    out += ch;
  }
  return out;
}

export function gsm7Septets(text: string): number | null {
  let septets = 0;
  for (let i = 0; i < text.length; i++) {
    // A surrogate (half of a character outside the BMP) is NOT_GSM like the character.
    const gsm = GSM_OF_UNIT[text.charCodeAt(i)]!;
    if (gsm === NOT_GSM) return null;
    septets += gsm & EXTENDED ? 2 : 1;
  }
  return septets;
}

/**
 * End offsets (UTF-16 indices) of each concatenation part. Shared by analyzeText and splitForConcatenation so that
 * the segment count billed is exactly the number of parts submitted.
 */
function partEnds(text: string, encoding: Encoding): number[] {
  const { single, part } = LIMITS[encoding];
  const units = encoding === "GSM7" ? gsm7Septets(text) : text.length;
  if (units === null) throw new RangeError("Text contains characters outside the GSM 03.38 alphabet");
  if (units <= single) return [text.length];

  const ends: number[] = [];
  let used = 0;
  let i = 0;
  while (i < text.length) {
    let width: number;
    let cost: number;
    if (encoding === "GSM7") {
      // Every GSM character is in the BMP, so one code unit each; an extension char costs its escape too.
      width = 1;
      cost = GSM_OF_UNIT[text.charCodeAt(i)]! & EXTENDED ? 2 : 1;
    } else {
      // A part may be decoded on its own (handsets that show parts before reassembly, SMSC transcoding), where a lone
      // surrogate becomes U+FFFD, so pairs stay together.
      width = isSurrogatePairAt(text, i) ? 2 : 1;
      cost = width;
    }
    if (used + cost > part) {
      ends.push(i);
      used = 0;
    }
    used += cost;
    i += width;
  }
  ends.push(text.length);
  return ends;
}

function isSurrogatePairAt(text: string, i: number): boolean {
  const hi = text.charCodeAt(i);
  const lo = text.charCodeAt(i + 1);
  return hi >= 0xd800 && hi <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff;
}

export function analyzeText(text: string, opts: { smartEncoding: boolean }): TextAnalysis {
  let body = text;
  let encoding: Encoding = "UCS2";
  let septets = gsm7Septets(text);
  if (septets === null && opts.smartEncoding) {
    const transliterated = transliterateSmart(text);
    septets = gsm7Septets(transliterated);
    if (septets !== null) body = transliterated;
  }
  if (septets !== null) encoding = "GSM7";
  const units = septets ?? body.length;
  return { body, encoding, units, segments: partEnds(body, encoding).length };
}

/**
 * Because an escape pair or surrogate pair is never split, a part can end one unit short of the limit, so the part
 * count can exceed ceil(units / 153) or ceil(units / 67): e.g. 152 plain + "€" + 152 plain is 306 septets but 3 parts
 * (152, 153, 1). analyzeText counts segments with this same logic.
 */
export function splitForConcatenation(text: string, encoding: Encoding): string[] {
  let start = 0;
  return partEnds(text, encoding).map((end) => {
    const part = text.slice(start, end);
    start = end;
    return part;
  });
}

export function encodeGsm7(text: string): Buffer {
  const bytes = Buffer.allocUnsafe(text.length * 2);
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const gsm = GSM_OF_UNIT[text.charCodeAt(i)]!;
    if (gsm === NOT_GSM) {
      const codePoint = text.codePointAt(i)!.toString(16).toUpperCase().padStart(4, "0");
      throw new RangeError(`U+${codePoint} is not in the GSM 03.38 alphabet`);
    }
    if (gsm & EXTENDED) bytes[length++] = ESC;
    bytes[length++] = gsm & 0xff;
  }
  return bytes.subarray(0, length);
}

export function decodeGsm7(bytes: Buffer): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) {
    const code = bytes[i]!;
    if (code > 0x7f) throw new RangeError(`Byte 0x${code.toString(16)} at ${i} is not a GSM-7 septet`);
    if (code !== ESC) {
      out += GSM7_BASIC[code]!;
      continue;
    }
    const next = bytes[++i];
    if (next === undefined) throw new RangeError("GSM-7 data ends with an escape");
    if (next > 0x7f) throw new RangeError(`Byte 0x${next.toString(16)} at ${i} is not a GSM-7 septet`);
    // TS 23.038: ESC ESC is reserved for a further table and shows as a space; an undefined extension code shows the
    // basic-table character.
    out += next === ESC ? " " : (EXTENSION_CHAR.get(next) ?? GSM7_BASIC[next]!);
  }
  return out;
}

// SMSCs and handsets treat data_coding 0x08 as UTF-16 in practice, so astral characters go out as surrogate pairs.
export function encodeUcs2(text: string): Buffer {
  const buf = Buffer.alloc(text.length * 2);
  for (let i = 0; i < text.length; i++) buf.writeUInt16BE(text.charCodeAt(i), i * 2);
  return buf;
}

export function decodeUcs2(bytes: Buffer): string {
  if (bytes.length % 2 !== 0) throw new RangeError("UCS-2 data has an odd number of bytes");
  let out = "";
  for (let i = 0; i < bytes.length; i += 2) out += String.fromCharCode(bytes.readUInt16BE(i));
  return out;
}
