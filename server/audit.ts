import type { Prisma, PrismaClient } from "@prisma/client";

type Tx = PrismaClient | Prisma.TransactionClient;

/** Records who changed what; operator mutations call it in their transaction. */
export async function recordAudit(
  tx: Tx,
  entry: { operatorId: string; action: string; target: string; details?: Prisma.InputJsonValue },
): Promise<void> {
  await tx.auditEntry.create({ data: entry });
}
