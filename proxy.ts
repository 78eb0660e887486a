import { NextResponse, type NextRequest } from "next/server";
import { SESSION_COOKIE, verifySessionToken } from "./server/auth/session";
import { env } from "./server/env";

// Signed-out requests for console pages go to /login before anything renders:
// pages prefetch protected procedures in parallel with the layout, so a check
// in the layout alone would still run (and log) those unauthorised calls.
export function proxy(request: NextRequest) {
  const session = verifySessionToken(request.cookies.get(SESSION_COOKIE)?.value, env().SESSION_SECRET);
  if (session) return NextResponse.next();
  return NextResponse.redirect(new URL("/login", request.url));
}

export const config = {
  matcher: ["/((?!login|api/|_next/|favicon.ico).*)"],
};
