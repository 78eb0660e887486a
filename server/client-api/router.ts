import { createTRPCRouter, operatorProcedure, protectedProcedure } from "../api/trpc";
import { createApiKeyInput, listApiKeysInput, revokeApiKeyInput } from "./schemas";
import { createApiKey, listApiKeys, revokeApiKey } from "./service";

export const apiKeysRouter = createTRPCRouter({
  list: protectedProcedure.input(listApiKeysInput).query(({ ctx, input }) => listApiKeys(ctx.deps.db, input.clientId)),
  create: operatorProcedure
    .input(createApiKeyInput)
    .mutation(({ ctx, input }) => createApiKey(ctx.deps.db, ctx.session.operatorId, input)),
  revoke: operatorProcedure
    .input(revokeApiKeyInput)
    .mutation(({ ctx, input }) => revokeApiKey(ctx.deps.db, ctx.session.operatorId, input.id)),
});
