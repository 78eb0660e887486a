import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Node libraries with workers, native sockets or dynamic requires run
  // unbundled on the server.
  serverExternalPackages: ["kafkajs", "pino", "pg", "ioredis", "prom-client", "@prisma/client", "@prisma/adapter-pg"],
  poweredByHeader: false,
  // `npm test` type-checks the whole project (tsc --noEmit) before it builds the console for the browser tests,
  // so that build skips Next's second pass over the same files (a minute on a 2-core machine).
  typescript: { ignoreBuildErrors: process.env.VOLLEY_BUILD_SKIP_TYPECHECK === "1" },
};

export default nextConfig;
