// Money is BigInt minor units end to end; these helpers only format and
// parse at the edges, never through floating point.

const MINOR_DIGITS: Record<string, number> = { USD: 2, EUR: 2, GBP: 2, KES: 2, NGN: 2, JPY: 0 };

export function minorDigits(currency: string): number {
  return MINOR_DIGITS[currency.toUpperCase()] ?? 2;
}

/** 123456n, "USD" → "1,234.56 USD" */
export function formatMoney(amount: bigint, currency: string): string {
  const digits = minorDigits(currency);
  const negative = amount < 0n;
  const abs = negative ? -amount : amount;
  const scale = 10n ** BigInt(digits);
  const whole = (abs / scale).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const fraction = digits > 0 ? "." + (abs % scale).toString().padStart(digits, "0") : "";
  return `${negative ? "-" : ""}${whole}${fraction} ${currency.toUpperCase()}`;
}

/** "12.5", "USD" → 1250n; rejects more fraction digits than the currency has. */
export function parseMoney(text: string, currency: string): bigint {
  const digits = minorDigits(currency);
  const m = /^(-)?(\d+)(?:\.(\d+))?$/.exec(text.trim().replace(/,/g, ""));
  if (!m) throw new Error(`"${text}" is not an amount`);
  const fraction = m[3] ?? "";
  if (fraction.length > digits) throw new Error(`${currency} has ${digits} decimal places`);
  const minor = BigInt(m[2]!) * 10n ** BigInt(digits) + BigInt(fraction.padEnd(digits, "0") || "0");
  return m[1] ? -minor : minor;
}
