import type { Logger } from "pino";
import { AppError } from "../errors";
import { startPollLoop, type PollLoop } from "../worker/poll-loop";
import { hasMonthEnded, monthPeriod, previousMonth } from "./period";
import { generateInvoices, type GenerateResult, type InvoiceDeps } from "./service";

/** Invoices one closed calendar month (UTC); an open month would cut its usage in two. */
export async function generateMonth(
  deps: InvoiceDeps,
  month: string,
  now: Date,
  opts: { isStopping?: () => boolean } = {},
): Promise<GenerateResult & { month: string }> {
  if (!hasMonthEnded(month, now)) throw new AppError("BAD_REQUEST", `${month} has not ended yet`);
  return { month, ...(await generateInvoices(deps, monthPeriod(month), opts)) };
}

/** The monthly run: the invoices of the month before `now`. Safe to repeat. */
export function invoicePreviousMonth(deps: InvoiceDeps, now: Date, opts: { isStopping?: () => boolean } = {}) {
  return generateMonth(deps, previousMonth(now), now, opts);
}

export const invoiceJobKey = (namespace: string) => `invoices:${namespace}last-run`;
const JOB_EVERY_SECONDS = 3600;

/**
 * Runs the monthly invoicing at most once an hour across every scheduler
 * process (SET NX with a one-hour expiry). Hourly, not once a month, so a run
 * that failed or was cut short by a shutdown is picked up again; repeats
 * cost one query, since invoiced accounts are skipped. Null when not due.
 */
export async function runInvoiceJobIfDue(
  deps: InvoiceDeps,
  now: Date,
  opts: { isStopping?: () => boolean } = {},
): Promise<(GenerateResult & { month: string }) | null> {
  const acquired = await deps.redis.set(
    invoiceJobKey(deps.namespace),
    now.toISOString(),
    "EX",
    JOB_EVERY_SECONDS,
    "NX",
  );
  if (acquired !== "OK") return null;
  return invoicePreviousMonth(deps, now, opts);
}

/**
 * The scheduler worker's invoicing loop, beside its campaign loop so a long
 * run never holds up scheduled starts or deferred releases. It checks every
 * few minutes; the Redis key decides whether a run is due.
 */
export function startInvoiceLoop(deps: InvoiceDeps & { log: Logger }, checkEveryMs = 5 * 60_000): PollLoop {
  return startPollLoop({
    name: "invoices",
    intervalMs: checkEveryMs,
    log: deps.log,
    tick: async (isStopping) => {
      const result = await runInvoiceJobIfDue(deps, new Date(), { isStopping });
      if (result && result.invoiceCount > 0)
        deps.log.info(
          {
            month: result.month,
            invoices: result.invoiceCount,
            totals: result.totals.map((t) => ({ ...t, total: t.total.toString() })),
          },
          "monthly invoices generated",
        );
      return false;
    },
  });
}
