import { createTRPCRouter, operatorProcedure, protectedProcedure } from "../api/trpc";
import { campaignIdInput, createCampaignInput, listCampaignsInput } from "./schemas";
import { createCampaign, getCampaign, launchCampaign, listCampaigns } from "./service";

export const campaignsRouter = createTRPCRouter({
  list: protectedProcedure.input(listCampaignsInput).query(({ ctx, input }) => listCampaigns(ctx.deps.db, input)),
  get: protectedProcedure.input(campaignIdInput).query(({ ctx, input }) => getCampaign(ctx.deps.db, input.id)),
  create: operatorProcedure
    .input(createCampaignInput)
    .mutation(({ ctx, input }) => createCampaign(ctx.deps.db, input, ctx.session.operatorId)),
  launch: operatorProcedure.input(campaignIdInput).mutation(async ({ ctx, input }) =>
    launchCampaign(
      {
        db: ctx.deps.db,
        producer: await ctx.deps.producer(),
        topicPrefix: ctx.deps.env.KAFKA_TOPIC_PREFIX,
        batchSize: ctx.deps.env.LAUNCH_BATCH_SIZE,
      },
      input.id,
    ),
  ),
});
