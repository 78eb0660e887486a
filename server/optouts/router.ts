import { z } from "zod";
import { recordAudit } from "../audit";
import { createTRPCRouter, operatorProcedure, protectedProcedure } from "../api/trpc";
import { AppError } from "../errors";
import { normalizeRecipient } from "../validation/phone";
import { addOptOut, listOptOuts, removeOptOut } from "./store";

const optOutInput = z.object({
  msisdn: z.string().trim().min(3).max(32),
  // null: every client (global opt-out).
  clientId: z.string().min(1).nullable(),
});

function toE164(raw: string): string {
  // Opt-outs are stored in E.164 (the form the validator checks).
  const phone = normalizeRecipient(raw.startsWith("+") ? raw : `+${raw}`, "US");
  if (!phone.ok && phone.reason === "INVALID_NUMBER") throw new AppError("BAD_REQUEST", `${raw} is not a valid number`);
  return phone.ok ? phone.e164 : raw.replace(/[^\d+]/g, "");
}

export const optOutsRouter = createTRPCRouter({
  list: protectedProcedure
    .input(
      z.object({
        clientId: z.string().nullish(),
        // "global": only opt-outs that apply to every client.
        scope: z.literal("global").optional(),
        // One number, as people write it (spaces, dashes, brackets, a leading 00 are fine).
        msisdn: z
          .string()
          .transform((v) => v.replace(/[\s().-]/g, "").replace(/^00/, "+"))
          .pipe(z.string().max(32))
          .optional(),
        cursor: z.string().nullish(),
        limit: z.number().int().min(1).max(200).default(50),
      }),
    )
    .query(({ ctx, input }) =>
      listOptOuts(ctx.deps.db, { ...input, msisdn: input.msisdn ? toE164(input.msisdn) : undefined }),
    ),
  add: operatorProcedure.input(optOutInput).mutation(async ({ ctx, input }) => {
    const msisdn = toE164(input.msisdn);
    await addOptOut(ctx.deps.db, ctx.deps.redis, msisdn, input.clientId);
    await recordAudit(ctx.deps.db.prisma, {
      operatorId: ctx.session.operatorId,
      action: "opt-out.add",
      target: msisdn,
      details: { clientId: input.clientId },
    });
    return { msisdn };
  }),
  remove: operatorProcedure.input(optOutInput).mutation(async ({ ctx, input }) => {
    const msisdn = toE164(input.msisdn);
    await removeOptOut(ctx.deps.db, ctx.deps.redis, msisdn, input.clientId);
    await recordAudit(ctx.deps.db.prisma, {
      operatorId: ctx.session.operatorId,
      action: "opt-out.remove",
      target: msisdn,
      details: { clientId: input.clientId },
    });
    return { msisdn };
  }),
});
