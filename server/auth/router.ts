import { z } from "zod";
import { createTRPCRouter, protectedProcedure, publicProcedure } from "../api/trpc";
import { authenticateOperator } from "./service";
import { clearedSessionCookie, createSessionToken, sessionCookie } from "./session";

export const loginInput = z.object({
  email: z.email("Enter an email address"),
  password: z.string().min(1, "Enter your password"),
});

export const authRouter = createTRPCRouter({
  login: publicProcedure.input(loginInput).mutation(async ({ ctx, input }) => {
    const operator = await authenticateOperator(ctx.deps.db.prisma, input.email, input.password);
    const { token, maxAge } = createSessionToken(operator, ctx.deps.env.SESSION_SECRET);
    ctx.resHeaders?.append("set-cookie", sessionCookie(token, maxAge, ctx.deps.env.NODE_ENV === "production"));
    return operator;
  }),
  logout: publicProcedure.mutation(({ ctx }) => {
    ctx.resHeaders?.append("set-cookie", clearedSessionCookie());
    return { ok: true };
  }),
  me: protectedProcedure.query(({ ctx }) => ctx.session),
});
