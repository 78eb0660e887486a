# syntax=docker/dockerfile:1
#
# One image for every Volley process: the web console (`next start`), the
# workers (`tsx workers/<name>.ts`) and the one-shot migrate/seed job. See
# docker-compose.yml for how each is started.
#
# The image needs no network at runtime: the Prisma client runs queries
# through @prisma/adapter-pg (generator engineType "client", no native query
# engine) and `prisma migrate deploy` uses the CLI's built-in wasm schema
# engine (prisma.config.ts, engine "js").

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- deps: the full dependency tree (dev dependencies included: the workers
# and the seed run TypeScript through tsx, and migrate needs the prisma CLI).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false \
    CHECKPOINT_DISABLE=1 \
    PRISMA_HIDE_UPDATE_MESSAGE=1
COPY package.json package-lock.json ./
# npm ci applies them (postinstall: patch-package).
COPY patches ./patches
RUN npm ci

# ---- build: generate the Prisma client and build the Next.js console.
FROM deps AS build
ENV NEXT_TELEMETRY_DISABLED=1
COPY . .
RUN npx prisma generate \
 && NEXT_TELEMETRY_DISABLED=1 npx next build

# ---- runtime
FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    CHECKPOINT_DISABLE=1 \
    PRISMA_HIDE_UPDATE_MESSAGE=1 \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false \
    HEALTH_HOST=0.0.0.0 \
    WEB_PORT=3000
# Sources (workers, server, prisma schema + migrations, seed) with the built
# console and node_modules (which holds the generated Prisma client).
COPY --from=build --chown=node:node /app /app
USER node
EXPOSE 3000
# Not through npx: npx does not pass SIGTERM on to the process it started.
CMD ["node_modules/.bin/next", "start", "-p", "3000", "-H", "0.0.0.0"]
