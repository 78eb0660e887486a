#!/usr/bin/env bash
# Prepares this checkout to run: npm packages, the Prisma client, the local
# stack (PostgreSQL, Redis, Kafka) and migrations. Idempotent and quick on a
# second run. Used by `npm start`, `npm run dev` and `npm test`.
#
#   scripts/setup.sh [extra database URL to migrate …]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export NEXT_TELEMETRY_DISABLED=1
export DATABASE_URL=${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/volley}

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "Volley needs Node.js 20 or newer (found: $(node --version 2>/dev/null || echo none))." >&2
  exit 1
fi

# `npm install` rather than `npm ci`: the lock file holds only the platform
# packages this registry serves (linux-x64), which npm 11's `ci` refuses as
# out of sync. `install` still installs exactly the locked versions.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "Installing npm packages"
  npm install --no-audit --no-fund --loglevel=error
  touch node_modules/.package-lock.json
fi

step "Generating the Prisma client"
node_modules/.bin/prisma generate >/dev/null

step "Starting the local stack"
bash scripts/stack.sh up

# `prisma migrate deploy` spends ~10 s on an internal timer even with nothing
# to do, so it runs only when a migration folder is not yet applied.
migrate() {
  local url=$1 applied pending=0 dir
  applied=$(psql "$url" -Atc 'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL' 2>/dev/null || true)
  for dir in prisma/migrations/*/; do
    grep -qx "$(basename "$dir")" <<<"$applied" || pending=$((pending + 1))
  done
  if [ "$pending" -gt 0 ]; then
    step "Applying $pending migration(s) to ${url##*/}"
    DATABASE_URL=$url node_modules/.bin/prisma migrate deploy
  fi
}

migrate "$DATABASE_URL"
for url in "$@"; do migrate "$url"; done
