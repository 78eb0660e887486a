import { createTRPCRouter, protectedProcedure } from "../api/trpc";
import { listClients } from "./service";

export const clientsRouter = createTRPCRouter({
  list: protectedProcedure.query(({ ctx }) => listClients(ctx.deps.db)),
});
