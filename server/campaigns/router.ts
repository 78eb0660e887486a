import { createTRPCRouter, operatorProcedure, protectedProcedure } from "../api/trpc";
import { campaignIdInput, createCampaignInput, launchCampaignInput, listCampaignsInput } from "./schemas";
import {
  cancelCampaign,
  createCampaign,
  getCampaign,
  launchCampaign,
  quoteForConsole,
  listCampaigns,
  pauseCampaign,
  resumeCampaign,
} from "./service";
import { campaignSpend } from "./spend";

export const campaignsRouter = createTRPCRouter({
  list: protectedProcedure.input(listCampaignsInput).query(({ ctx, input }) => listCampaigns(ctx.deps.db, input)),
  get: protectedProcedure.input(campaignIdInput).query(({ ctx, input }) => getCampaign(ctx.deps, input.id)),
  create: operatorProcedure
    .input(createCampaignInput)
    .mutation(({ ctx, input }) =>
      createCampaign({ db: ctx.deps.db, uploadMaxBytes: ctx.deps.env.UPLOAD_MAX_BYTES }, input, ctx.session.operatorId),
    ),
  quote: protectedProcedure.input(campaignIdInput).query(({ ctx, input }) => quoteForConsole(ctx.deps, input.id)),
  spend: protectedProcedure.input(campaignIdInput).query(({ ctx, input }) => campaignSpend(ctx.deps.db, input.id)),
  launch: operatorProcedure
    .input(launchCampaignInput)
    .mutation(({ ctx, input }) => launchCampaign(ctx.deps, input.id, { hold: input.hold })),
  pause: operatorProcedure.input(campaignIdInput).mutation(({ ctx, input }) => pauseCampaign(ctx.deps, input.id)),
  resume: operatorProcedure.input(campaignIdInput).mutation(({ ctx, input }) => resumeCampaign(ctx.deps, input.id)),
  cancel: operatorProcedure.input(campaignIdInput).mutation(({ ctx, input }) => cancelCampaign(ctx.deps, input.id)),
});
