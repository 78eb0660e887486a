import type { Db } from "../db";

export async function listClients(db: Db) {
  return db.prisma.client.findMany({
    orderBy: { name: "asc" },
    include: {
      accounts: { select: { id: true, balance: true, currency: true, unbilledUsage: true } },
      senderIds: { where: { status: "APPROVED" }, select: { value: true }, orderBy: { value: "asc" } },
      ratePlan: { select: { name: true, defaultPricePerSegment: true, currency: true } },
    },
  });
}
