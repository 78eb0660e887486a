import { z } from "zod";
import { createTRPCRouter, operatorProcedure, protectedProcedure } from "../api/trpc";
import { getKeywordAnswers, setKeywordAnswers } from "./answers";
import { keywordAnswersInput, listRepliesInput } from "./schemas";
import { campaignReplyCounts, listReplies } from "./service";

export const inboundRouter = createTRPCRouter({
  list: protectedProcedure.input(listRepliesInput).query(({ ctx, input }) => listReplies(ctx.deps.db, input)),
  campaignCounts: protectedProcedure
    .input(z.object({ campaignId: z.string().min(1) }))
    .query(({ ctx, input }) => campaignReplyCounts(ctx.deps.db, input.campaignId)),
  answers: protectedProcedure
    .input(z.object({ clientId: z.string().min(1) }))
    .query(({ ctx, input }) => getKeywordAnswers(ctx.deps.db, input.clientId)),
  setAnswers: operatorProcedure
    .input(keywordAnswersInput)
    .mutation(({ ctx, input }) => setKeywordAnswers(ctx.deps.db, ctx.session.operatorId, input)),
});
