import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { apiDeps } from "@/server/api/deps";
import { appRouter } from "@/server/api/root";
import { createContext } from "@/server/api/trpc";

function handler(req: Request) {
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: ({ resHeaders }) => createContext({ deps: apiDeps(), headers: req.headers, resHeaders }),
  });
}

export { handler as GET, handler as POST };
