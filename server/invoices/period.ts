// Invoice periods are calendar months in UTC: [first instant of the month,
// first instant of the next month). UTC, not the client's timezone, so that
// one run covers every account with the same boundaries and a usage row's
// month never depends on who looks at it. Pure: the console imports it too.

export type Period = { periodStart: Date; periodEnd: Date };

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** "2026-10" → [2026-10-01T00:00Z, 2026-11-01T00:00Z) */
export function monthPeriod(month: string): Period {
  const m = MONTH.exec(month);
  if (!m) throw new Error(`"${month}" is not a month (YYYY-MM)`);
  const year = Number(m[1]);
  const index = Number(m[2]) - 1;
  return { periodStart: new Date(Date.UTC(year, index, 1)), periodEnd: new Date(Date.UTC(year, index + 1, 1)) };
}

/** The UTC month a moment falls in, as "YYYY-MM". */
export function monthOf(date: Date): string {
  return date.toISOString().slice(0, 7);
}

/** The calendar month (UTC) before the one `now` falls in: what a monthly run invoices. */
export function previousMonth(now: Date): string {
  return monthOf(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)));
}

/** True once the month is over: only a closed month can be invoiced. */
export function hasMonthEnded(month: string, now: Date): boolean {
  return monthPeriod(month).periodEnd.getTime() <= now.getTime();
}

const MONTH_NAMES = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

/** periodStart → "October 2026" (UTC, so server and browser render the same). */
export function formatMonth(periodStart: Date): string {
  return `${MONTH_NAMES[periodStart.getUTCMonth()]} ${periodStart.getUTCFullYear()}`;
}
