import { parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js";

export type PhoneCheck = { ok: true; e164: string } | { ok: false; reason: "INVALID_NUMBER" };

/** Normalises to E.164 using the client's default country for local numbers. */
export function normalizeRecipient(raw: string, defaultCountry: string): PhoneCheck {
  const phone = parsePhoneNumberFromString(raw.trim(), defaultCountry.toUpperCase() as CountryCode);
  if (!phone || !phone.isValid()) return { ok: false, reason: "INVALID_NUMBER" };
  return { ok: true, e164: phone.number };
}
