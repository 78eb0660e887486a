import { createTRPCRouter, operatorProcedure, protectedProcedure, type Context } from "../api/trpc";
import { deadLetterIdInput, listDeadLettersInput, replayAllInput } from "./schemas";
import {
  deadLetterStats,
  getDeadLetter,
  listDeadLetters,
  replayAllDeadLetters,
  replayDeadLetter,
  type DeadLetterDeps,
  type ReplayDeps,
} from "./service";

function readDeps(ctx: Context): DeadLetterDeps {
  return { db: ctx.deps.db, topicPrefix: ctx.deps.env.KAFKA_TOPIC_PREFIX };
}

async function replayDeps(ctx: Context, operatorId: string): Promise<ReplayDeps> {
  return { ...readDeps(ctx), producer: await ctx.deps.producer(), operatorId };
}

export const deadLettersRouter = createTRPCRouter({
  list: protectedProcedure.input(listDeadLettersInput).query(({ ctx, input }) => listDeadLetters(readDeps(ctx), input)),
  get: protectedProcedure.input(deadLetterIdInput).query(({ ctx, input }) => getDeadLetter(readDeps(ctx), input.id)),
  stats: protectedProcedure.query(({ ctx }) => deadLetterStats(readDeps(ctx))),
  replay: operatorProcedure
    .input(deadLetterIdInput)
    .mutation(async ({ ctx, input }) => replayDeadLetter(await replayDeps(ctx, ctx.session.operatorId), input.id)),
  replayAll: operatorProcedure
    .input(replayAllInput)
    .mutation(async ({ ctx, input }) =>
      replayAllDeadLetters(await replayDeps(ctx, ctx.session.operatorId), input.sourceTopic),
    ),
});
