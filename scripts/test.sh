#!/usr/bin/env bash
# `npm test`: every test against real services. Installs what it needs
# (npm packages, Debian's chromium and docker-compose, Kafka jars), brings the
# stack up, migrates and seeds the test database, then runs the type check,
# unit + integration tests (vitest), and the browser tests (Playwright).
# Ends with one line "total: N passed, N failed".
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export NEXT_TELEMETRY_DISABLED=1
export TEST_DATABASE_URL=${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/volley_test}

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

apt_install() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing $*: install with 'sudo apt-get install -y $*'" >&2
    exit 1
  fi
  step "Installing $* (Debian packages)"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1; then
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  fi
}

missing=()
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
command -v docker-compose >/dev/null || missing+=(docker-compose)
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"

bash scripts/setup.sh "$TEST_DATABASE_URL" || exit 1
DATABASE_URL=$TEST_DATABASE_URL node_modules/.bin/tsx prisma/seed.ts >/dev/null || exit 1

rm -rf test-results && mkdir -p test-results
failed_steps=()

step "Type check and formatting"
node_modules/.bin/tsc --noEmit || failed_steps+=(typecheck)
node_modules/.bin/prettier --check --log-level warn . || failed_steps+=(format)

step "Unit and integration tests (vitest)"
node_modules/.bin/vitest run --reporter=default --reporter=json --outputFile=test-results/vitest.json || failed_steps+=(vitest)

step "Building the console for the browser tests"
if VOLLEY_BUILD_SKIP_TYPECHECK=1 node_modules/.bin/next build >test-results/next-build.log 2>&1; then
  step "Browser tests (Playwright, Debian Chromium)"
  node_modules/.bin/playwright test || failed_steps+=(playwright)
else
  tail -40 test-results/next-build.log
  failed_steps+=(next-build)
fi

step "Summary"
node scripts/test-summary.mjs "${failed_steps[@]}"
