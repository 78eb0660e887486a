import { createTRPCRouter, operatorProcedure, protectedProcedure } from "../api/trpc";
import { setWebhookUrlInput, webhookClientInput } from "./schemas";
import { getWebhookSettings, retryFailedWebhooks, rotateWebhookSecret, setWebhookUrl } from "./service";

export const webhooksRouter = createTRPCRouter({
  get: protectedProcedure
    .input(webhookClientInput)
    .query(({ ctx, input }) => getWebhookSettings(ctx.deps.db, input.clientId, ctx.session.role !== "VIEWER")),
  setUrl: operatorProcedure
    .input(setWebhookUrlInput)
    .mutation(({ ctx, input }) => setWebhookUrl(ctx.deps.db, ctx.session.operatorId, input.clientId, input.url)),
  rotateSecret: operatorProcedure
    .input(webhookClientInput)
    .mutation(({ ctx, input }) => rotateWebhookSecret(ctx.deps.db, ctx.session.operatorId, input.clientId)),
  retryFailed: operatorProcedure
    .input(webhookClientInput)
    .mutation(({ ctx, input }) => retryFailedWebhooks(ctx.deps.db, ctx.session.operatorId, input.clientId)),
});
