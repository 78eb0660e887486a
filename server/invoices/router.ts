import { adminProcedure, createTRPCRouter, protectedProcedure } from "../api/trpc";
import { recordAudit } from "../audit";
import { generateMonth } from "./job";
import { generateInvoicesInput, invoiceIdInput, listInvoicesInput } from "./schemas";
import { getInvoice, listInvoices } from "./service";

export const invoicesRouter = createTRPCRouter({
  list: protectedProcedure.input(listInvoicesInput).query(({ ctx, input }) => listInvoices(ctx.deps.db, input)),
  get: protectedProcedure.input(invoiceIdInput).query(({ ctx, input }) => getInvoice(ctx.deps.db, input.id)),
  generate: adminProcedure.input(generateInvoicesInput).mutation(async ({ ctx, input }) => {
    const result = await generateMonth(
      { db: ctx.deps.db, redis: ctx.deps.redis, namespace: ctx.deps.env.KAFKA_TOPIC_PREFIX, log: ctx.deps.log },
      input.month,
      new Date(),
    );
    // After the run, not inside it: each account's invoice is its own
    // transaction, and the entry records what the run produced.
    await recordAudit(ctx.deps.db.prisma, {
      operatorId: ctx.session.operatorId,
      action: "invoices.generate",
      target: input.month,
      details: {
        invoices: result.invoiceCount,
        totals: result.totals.map((t) => ({ currency: t.currency, total: t.total.toString(), invoices: t.invoices })),
      },
    });
    return result;
  }),
});
