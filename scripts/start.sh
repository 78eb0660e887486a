#!/usr/bin/env bash
# `npm start`: everything from a fresh clone to a running Volley with demo
# data: packages, stack, migrations, seed, production build, then the web
# console and every worker. `npm run dev` (--dev) runs Next.js in dev mode.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
printf '\n\033[1m==> Seeding demo data\033[0m\n'
node_modules/.bin/tsx prisma/seed.ts

port=${WEB_PORT:-3000}
cat <<EOT

  Volley console: http://127.0.0.1:${port}
  Sign in as admin@volley.local / volley-demo (also operator@… and viewer@…)
  Ctrl-C stops every process cleanly.

EOT

if [ "${1:-}" = "--dev" ]; then
  exec node_modules/.bin/tsx scripts/run-all.ts
fi
printf '\033[1m==> Building the console\033[0m\n'
NEXT_TELEMETRY_DISABLED=1 node_modules/.bin/next build
exec node_modules/.bin/tsx scripts/run-all.ts --prod
