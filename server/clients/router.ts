import { createTRPCRouter, operatorProcedure, protectedProcedure } from "../api/trpc";
import { senderIdInput, updateClientInput } from "./schemas";
import { addSenderId, listClients, removeSenderId, updateClient } from "./service";

export const clientsRouter = createTRPCRouter({
  list: protectedProcedure.query(({ ctx }) => listClients(ctx.deps.db)),
  update: operatorProcedure.input(updateClientInput).mutation(({ ctx, input }) => {
    const { id, ...changes } = input;
    return updateClient(ctx.deps, ctx.session.operatorId, id, changes);
  }),
  addSenderId: operatorProcedure
    .input(senderIdInput)
    .mutation(({ ctx, input }) => addSenderId(ctx.deps, ctx.session.operatorId, input.clientId, input.value)),
  removeSenderId: operatorProcedure
    .input(senderIdInput)
    .mutation(({ ctx, input }) => removeSenderId(ctx.deps, ctx.session.operatorId, input.clientId, input.value)),
});
