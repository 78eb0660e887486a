import { createTRPCRouter, protectedProcedure } from "../api/trpc";
import { messageIdInput, searchMessagesInput } from "./schemas";
import { messageDetail, searchMessages } from "./search";

export const messagesRouter = createTRPCRouter({
  search: protectedProcedure.input(searchMessagesInput).query(({ ctx, input }) => searchMessages(ctx.deps.db, input)),
  get: protectedProcedure.input(messageIdInput).query(({ ctx, input }) => messageDetail(ctx.deps.db, input.id)),
});
