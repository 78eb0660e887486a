import { createTRPCRouter, operatorProcedure, protectedProcedure } from "../api/trpc";
import { getClientInput, senderIdInput, updateClientInput } from "./schemas";
import { addSenderId, getClient, listClients, removeSenderId, updateClient } from "./service";

export const clientsRouter = createTRPCRouter({
  list: protectedProcedure.query(({ ctx }) => listClients(ctx.deps.db)),
  get: protectedProcedure.input(getClientInput).query(({ ctx, input }) => getClient(ctx.deps.db, input.id)),
  update: operatorProcedure.input(updateClientInput).mutation(({ ctx, input }) => {
    const { id, ...changes } = input;
    return updateClient(
      { ...ctx.deps, namespace: ctx.deps.env.KAFKA_TOPIC_PREFIX },
      ctx.session.operatorId,
      id,
      changes,
    );
  }),
  addSenderId: operatorProcedure
    .input(senderIdInput)
    .mutation(({ ctx, input }) => addSenderId(ctx.deps, ctx.session.operatorId, input.clientId, input.value)),
  removeSenderId: operatorProcedure
    .input(senderIdInput)
    .mutation(({ ctx, input }) => removeSenderId(ctx.deps, ctx.session.operatorId, input.clientId, input.value)),
});
