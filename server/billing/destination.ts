import { parsePhoneNumberFromString } from "libphonenumber-js/max";

/** ISO 3166 region of an E.164 recipient for usage records and invoices; "ZZ" when no region is known. */
export function destinationOf(e164: string): string {
  // Numbers shared by several regions (+1, +7, +44…) need the full metadata to tell them apart.
  return parsePhoneNumberFromString(e164)?.country ?? "ZZ";
}
