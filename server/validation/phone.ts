// The "max" metadata knows number types, so fixed lines can be told apart
// from mobiles (the default "min" metadata cannot).
import { parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js/max";

export type PhoneCheck = { ok: true; e164: string } | { ok: false; reason: "INVALID_NUMBER" | "NOT_MOBILE" };

const SMS_CAPABLE = new Set(["MOBILE", "FIXED_LINE_OR_MOBILE", "PERSONAL_NUMBER", "PAGER", undefined]);

/** Normalises to E.164 using the client's default country for local numbers. */
export function normalizeRecipient(raw: string, defaultCountry: string): PhoneCheck {
  const phone = parsePhoneNumberFromString(raw.trim(), defaultCountry.toUpperCase() as CountryCode);
  if (!phone) return { ok: false, reason: "INVALID_NUMBER" };
  // Where the metadata has number types (the "max" metadata: every country), isValid() is getType() !== undefined,
  // worked out again with the same regexps (libphonenumber compiles one per check, ~35 µs per number in all): a
  // number with a type is valid, so isValid() runs only for one without.
  const type = phone.getType();
  if (type === undefined && !phone.isValid()) return { ok: false, reason: "INVALID_NUMBER" };
  if (!SMS_CAPABLE.has(type)) return { ok: false, reason: "NOT_MOBILE" };
  return { ok: true, e164: phone.number };
}
