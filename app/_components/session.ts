import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { apiDeps } from "@/server/api/deps";
import { SESSION_COOKIE, verifySessionToken, type Session } from "@/server/auth/session";

export async function currentSession(): Promise<Session | null> {
  const token = (await cookies()).get(SESSION_COOKIE)?.value;
  return verifySessionToken(token, apiDeps().env.SESSION_SECRET);
}

export async function requireSession(): Promise<Session> {
  const session = await currentSession();
  if (!session) redirect("/login");
  return session;
}
