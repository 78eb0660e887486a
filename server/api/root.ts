import { authRouter } from "../auth/router";
import { billingRouter } from "../billing/router";
import { campaignsRouter } from "../campaigns/router";
import { clientsRouter } from "../clients/router";
import { optOutsRouter } from "../optouts/router";
import { deadLettersRouter } from "../dead-letters/router";
import { createCallerFactory, createTRPCRouter } from "./trpc";

export const appRouter = createTRPCRouter({
  auth: authRouter,
  clients: clientsRouter,
  billing: billingRouter,
  campaigns: campaignsRouter,
  optOuts: optOutsRouter,
  deadLetters: deadLettersRouter,
});

export type AppRouter = typeof appRouter;

/** Calls procedures without HTTP: server components and tests. */
export const createCaller = createCallerFactory(appRouter);
