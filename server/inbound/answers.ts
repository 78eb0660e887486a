import { recordAudit } from "../audit";
import type { Db } from "../db";
import { AppError } from "../errors";
import type { KeywordAnswersInput } from "./schemas";

/** What a client sends back to a handset's STOP, START and HELP (see processInboundBatch); null: nothing. */
export async function getKeywordAnswers(db: Db, clientId: string) {
  const client = await db.prisma.client.findUnique({
    where: { id: clientId },
    select: { stopAnswer: true, startAnswer: true, helpAnswer: true },
  });
  if (!client) throw new AppError("NOT_FOUND", "Client not found");
  return { stop: client.stopAnswer, start: client.startAnswer, help: client.helpAnswer };
}

export async function setKeywordAnswers(db: Db, operatorId: string, input: KeywordAnswersInput) {
  return db.prisma.$transaction(async (tx) => {
    const found = await tx.client.findUnique({ where: { id: input.clientId }, select: { id: true } });
    if (!found) throw new AppError("NOT_FOUND", "Client not found");
    await tx.client.update({
      where: { id: input.clientId },
      data: { stopAnswer: input.stop, startAnswer: input.start, helpAnswer: input.help },
    });
    await recordAudit(tx, {
      operatorId,
      action: "client.keyword-answers",
      target: input.clientId,
      details: { stop: input.stop, start: input.start, help: input.help },
    });
    return { stop: input.stop, start: input.start, help: input.help };
  });
}
