#!/usr/bin/env bash
# `npm start`: everything from a fresh clone to a running Volley with demo
# data: packages, stack, migrations, seed, production build, then the web
# console and every worker. `npm run dev` (--dev) runs Next.js in dev mode.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
printf '\n\033[1m==> Seeding demo data\033[0m\n'
node_modules/.bin/tsx prisma/seed.ts --demo-campaign

# next start runs with NODE_ENV=production, which refuses the dev session
# secret: keep one random secret per checkout unless one is given.
if [ -z "${SESSION_SECRET:-}" ]; then
  secret_file=.cache/session-secret
  [ -s "$secret_file" ] || (umask 077 && mkdir -p .cache && node -e 'console.log(require("crypto").randomBytes(32).toString("hex"))' >"$secret_file")
  SESSION_SECRET=$(cat "$secret_file")
  export SESSION_SECRET
fi

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
