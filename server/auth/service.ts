import type { PrismaClient } from "@prisma/client";
import { AppError } from "../errors";
import { verifyPassword } from "./password";
import type { Session } from "./session";

export async function authenticateOperator(
  prisma: PrismaClient,
  email: string,
  password: string,
): Promise<Omit<Session, "exp">> {
  const operator = await prisma.operator.findUnique({ where: { email: email.toLowerCase() } });
  // Same error for unknown email and wrong password: no account probing.
  if (!operator || !(await verifyPassword(password, operator.passwordHash))) {
    throw new AppError("UNAUTHORIZED", "Wrong email or password");
  }
  return { operatorId: operator.id, email: operator.email, name: operator.name, role: operator.role };
}
