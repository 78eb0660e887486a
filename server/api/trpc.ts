import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { ZodError, z } from "zod";
import { readCookie, SESSION_COOKIE, verifySessionToken, type Session } from "../auth/session";
import { AppError } from "../errors";
import type { ApiDeps } from "./deps";

export type Context = {
  deps: ApiDeps;
  session: Session | null;
  /** Response headers (cookies); null when called without HTTP. */
  resHeaders: Headers | null;
};

export function createContext(opts: { deps: ApiDeps; headers: Headers; resHeaders: Headers | null }): Context {
  const token = readCookie(opts.headers.get("cookie"), SESSION_COOKIE);
  return {
    deps: opts.deps,
    session: verifySessionToken(token, opts.deps.env.SESSION_SECRET),
    resHeaders: opts.resHeaders,
  };
}

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    const isInternal = error.code === "INTERNAL_SERVER_ERROR";
    return {
      ...shape,
      // 5xx details stay in the logs.
      message: isInternal ? "Internal error" : shape.message,
      data: {
        ...shape.data,
        stack: undefined,
        zodError: error.cause instanceof ZodError ? z.flattenError(error.cause) : null,
      },
    };
  },
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Maps domain errors to tRPC codes and logs unexpected ones. */
const errorMapping = t.middleware(async ({ ctx, next, path }) => {
  const result = await next();
  if (!result.ok) {
    const cause = result.error.cause;
    if (cause instanceof AppError) throw cause.toTRPC();
    if (result.error.code === "INTERNAL_SERVER_ERROR")
      ctx.deps.log.error({ err: cause ?? result.error, path }, "procedure failed");
  }
  return result;
});

export const publicProcedure = t.procedure.use(errorMapping);

export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.session) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in first" });
  return next({ ctx: { ...ctx, session: ctx.session } });
});

/** Operators who may change things (VIEWERs only read). */
export const operatorProcedure = protectedProcedure.use(({ ctx, next }) => {
  if (ctx.session.role === "VIEWER") throw new TRPCError({ code: "FORBIDDEN", message: "Read-only account" });
  return next();
});

export const adminProcedure = protectedProcedure.use(({ ctx, next }) => {
  if (ctx.session.role !== "ADMIN") throw new TRPCError({ code: "FORBIDDEN", message: "Admins only" });
  return next();
});
