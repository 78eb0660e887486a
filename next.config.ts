import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Node libraries with workers, native sockets or dynamic requires run
  // unbundled on the server.
  serverExternalPackages: ["kafkajs", "pino", "pg", "ioredis", "prom-client", "@prisma/client", "@prisma/adapter-pg"],
  poweredByHeader: false,
};

export default nextConfig;
