import { createTRPCRouter, operatorProcedure, protectedProcedure } from "../api/trpc";
import { adjustBalance, getBalance, listLedger, setLowBalanceThreshold } from "./accounts";
import { listBillingEvents } from "./billing-events";
import {
  accountIdInput,
  adjustBalanceInput,
  billingEventsInput,
  ledgerInput,
  lowBalanceThresholdInput,
} from "./schemas";

export const billingRouter = createTRPCRouter({
  balance: protectedProcedure
    .input(accountIdInput)
    .query(({ ctx, input }) =>
      getBalance({ ...ctx.deps, namespace: ctx.deps.env.KAFKA_TOPIC_PREFIX }, input.accountId),
    ),
  ledger: protectedProcedure.input(ledgerInput).query(({ ctx, input }) => listLedger(ctx.deps.db, input)),
  adjust: operatorProcedure
    .input(adjustBalanceInput)
    .mutation(({ ctx, input }) =>
      adjustBalance({ ...ctx.deps, namespace: ctx.deps.env.KAFKA_TOPIC_PREFIX }, ctx.session.operatorId, input),
    ),
  setLowBalanceThreshold: operatorProcedure
    .input(lowBalanceThresholdInput)
    .mutation(({ ctx, input }) =>
      setLowBalanceThreshold(
        { ...ctx.deps, namespace: ctx.deps.env.KAFKA_TOPIC_PREFIX },
        ctx.session.operatorId,
        input,
      ),
    ),
  events: protectedProcedure.input(billingEventsInput).query(({ ctx, input }) => listBillingEvents(ctx.deps.db, input)),
});
