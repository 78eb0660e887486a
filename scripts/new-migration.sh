#!/usr/bin/env bash
# `npm run db:new-migration -- <name>`: writes the SQL that takes the
# existing migrations to prisma/schema.prisma into a new migration folder.
# prisma migrate dev needs a schema engine binary that cannot be downloaded
# here, and with a driver adapter `migrate diff` replays the migrations into
# the configured database, so it points at a throwaway one.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
name=${1:?usage: npm run db:new-migration -- <name>}
base=${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/volley}
scratch="${base%/*}/volley_migration_scratch"
admin="${base%/*}/postgres"

export PGOPTIONS="-c client_min_messages=warning"
psql "$admin" -qc "DROP DATABASE IF EXISTS volley_migration_scratch" -c "CREATE DATABASE volley_migration_scratch"
trap 'psql "$admin" -qc "DROP DATABASE IF EXISTS volley_migration_scratch"' EXIT
sql=$(DATABASE_URL=$scratch node_modules/.bin/prisma migrate diff \
  --from-migrations prisma/migrations --to-schema-datamodel prisma/schema.prisma --script 2>/dev/null)
if [ -z "$(grep -v '^--' <<<"$sql" | tr -d '[:space:]')" ]; then
  echo "prisma/schema.prisma matches the migrations: nothing to write."
  exit 0
fi
dir="prisma/migrations/$(date -u +%Y%m%d%H%M%S)_${name//[^A-Za-z0-9_]/_}"
mkdir -p "$dir"
printf '%s\n' "$sql" >"$dir/migration.sql"
echo "Wrote $dir/migration.sql: review it, then run npm run db:migrate"
