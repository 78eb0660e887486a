// Quiet hours are a daily local-time window (e.g. 21:00–08:00) in which no
// marketing goes out. Times are wall-clock in the client's timezone; the
// release time is computed on the wall clock, so across a DST change it can
// be an hour early or late, which is harmless for a marketing send.

export type QuietHours = { start: string; end: string; timezone: string };

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

export function parseHHMM(value: string): number | null {
  const m = HHMM.exec(value);
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}

function localMinutes(at: Date, timezone: string): number {
  const parts = new Intl.DateTimeFormat("en-GB", {
    timeZone: timezone,
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(at);
  const hour = Number(parts.find((p) => p.type === "hour")?.value ?? 0);
  const minute = Number(parts.find((p) => p.type === "minute")?.value ?? 0);
  return hour * 60 + minute;
}

/** null when sending is allowed at `at`; otherwise the time quiet hours end. */
export function quietUntil(at: Date, quiet: QuietHours | null): Date | null {
  if (!quiet) return null;
  const start = parseHHMM(quiet.start);
  const end = parseHHMM(quiet.end);
  if (start === null || end === null || start === end) return null;
  const now = localMinutes(at, quiet.timezone);
  const inside = start < end ? now >= start && now < end : now >= start || now < end;
  if (!inside) return null;
  const minutesLeft = (end - now + 24 * 60) % (24 * 60);
  const release = new Date(at.getTime() + minutesLeft * 60_000);
  release.setUTCSeconds(0, 0);
  return release;
}
