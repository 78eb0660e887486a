import { adminProcedure, createTRPCRouter, protectedProcedure } from "../../api/trpc";
import type { Context } from "../../api/trpc";
import {
  createProviderInput,
  createRuleInput,
  providerIdInput,
  reorderRulesInput,
  ruleIdInput,
  setProviderEnabledInput,
  updateProviderInput,
  updateRuleInput,
} from "./schemas";
import {
  createProvider,
  createRule,
  deleteRule,
  getProvider,
  listProviders,
  listRules,
  parkedSummary,
  reorderRules,
  setProviderEnabled,
  updateProvider,
  updateRule,
} from "./service";

const deps = (ctx: Context) => ({ db: ctx.deps.db, redis: ctx.deps.redis, namespace: ctx.deps.env.KAFKA_TOPIC_PREFIX });

// Everyone signed in reads (the console refreshes the list every 2 s); only
// admins change where traffic goes.
const rulesRouter = createTRPCRouter({
  list: protectedProcedure.query(({ ctx }) => listRules(ctx.deps.db)),
  create: adminProcedure
    .input(createRuleInput)
    .mutation(({ ctx, input }) => createRule(ctx.deps.db, ctx.session.operatorId, input)),
  update: adminProcedure
    .input(updateRuleInput)
    .mutation(({ ctx, input }) => updateRule(ctx.deps.db, ctx.session.operatorId, input)),
  delete: adminProcedure
    .input(ruleIdInput)
    .mutation(({ ctx, input }) => deleteRule(ctx.deps.db, ctx.session.operatorId, input.id)),
  reorder: adminProcedure
    .input(reorderRulesInput)
    .mutation(({ ctx, input }) => reorderRules(ctx.deps.db, ctx.session.operatorId, input.ids)),
});

export const providersRouter = createTRPCRouter({
  list: protectedProcedure.query(({ ctx }) => listProviders(deps(ctx))),
  get: protectedProcedure.input(providerIdInput).query(({ ctx, input }) => getProvider(deps(ctx), input.id)),
  create: adminProcedure
    .input(createProviderInput)
    .mutation(({ ctx, input }) => createProvider(deps(ctx), ctx.session.operatorId, input)),
  update: adminProcedure
    .input(updateProviderInput)
    .mutation(({ ctx, input }) => updateProvider(deps(ctx), ctx.session.operatorId, input)),
  setEnabled: adminProcedure
    .input(setProviderEnabledInput)
    .mutation(({ ctx, input }) => setProviderEnabled(deps(ctx), ctx.session.operatorId, input.id, input.enabled)),
  parked: protectedProcedure.query(({ ctx }) => parkedSummary(deps(ctx))),
  rules: rulesRouter,
});
