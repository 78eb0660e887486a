import { authRouter } from "../auth/router";
import { billingRouter } from "../billing/router";
import { campaignsRouter } from "../campaigns/router";
import { clientsRouter } from "../clients/router";
import { apiKeysRouter } from "../client-api/router";
import { optOutsRouter } from "../optouts/router";
import { deadLettersRouter } from "../dead-letters/router";
import { invoicesRouter } from "../invoices/router";
import { providersRouter } from "../delivery/admin/router";
import { webhooksRouter } from "../webhooks/router";
import { messagesRouter } from "../messages/router";
import { inboundRouter } from "../inbound/router";
import { createCallerFactory, createTRPCRouter } from "./trpc";

export const appRouter = createTRPCRouter({
  auth: authRouter,
  clients: clientsRouter,
  apiKeys: apiKeysRouter,
  billing: billingRouter,
  campaigns: campaignsRouter,
  optOuts: optOutsRouter,
  deadLetters: deadLettersRouter,
  invoices: invoicesRouter,
  providers: providersRouter,
  webhooks: webhooksRouter,
  messages: messagesRouter,
  inbound: inboundRouter,
});

export type AppRouter = typeof appRouter;

/** Calls procedures without HTTP: server components and tests. */
export const createCaller = createCallerFactory(appRouter);
