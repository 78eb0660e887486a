import { createTRPCRouter, protectedProcedure } from "../api/trpc";
import { listRepliesInput } from "./schemas";
import { listReplies } from "./service";

export const inboundRouter = createTRPCRouter({
  list: protectedProcedure.input(listRepliesInput).query(({ ctx, input }) => listReplies(ctx.deps.db, input)),
});
