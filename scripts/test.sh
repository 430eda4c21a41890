#!/usr/bin/env bash
# Runs every check on a fresh machine that has Node and npm: installs pnpm and the packages, installs and
# starts redis-server and PostgreSQL on 127.0.0.1 (stopping them at the end), then lint, build, typecheck,
# every test, the package checks and the consumer install test. Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
root=$(pwd)
state=$(mktemp -d /tmp/channelcoder-ci.XXXXXX)
cleanup() { bash scripts/services.sh stop "$state" || true; rm -rf "$state"; }
trap cleanup EXIT

set -e
ensure_packages
bash scripts/services.sh start "$state"
# shellcheck disable=SC1091
. "$state/services.env"
set +e

failures=()
step() {
  local name="$1"; shift
  echo "==> $name"
  if ! "$@"; then failures+=("$name"); echo "!! $name failed"; fi
}

step lint pnpm lint
step build pnpm build
step typecheck pnpm typecheck
mkdir -p .tmp
step tests pnpm exec vitest run --reporter=default --reporter=json --outputFile.json=.tmp/vitest-report.json
step "conformance under node:test and bun test" bash scripts/conformance-runners.sh
step "package checks" node scripts/check-packages.mjs
step "release plan (changeset status + dry changeset version)" node scripts/release-plan.mjs
step "consumer install (node)" node scripts/consumer-test.mjs
bun_bin=$(ls -d node_modules/.pnpm/@oven+bun-linux-x64@*/node_modules/@oven/bun-linux-x64/bin/bun 2>/dev/null | head -n 1)
if [ -n "$bun_bin" ]; then
  step "consumer install (bun)" env CONSUMER_RUNTIME="$root/$bun_bin" node scripts/consumer-test.mjs
else
  failures+=("bun binary missing"); echo "!! bun binary missing (root devDependency bun)"
fi

node scripts/summarize-tests.mjs .tmp/vitest-report.json "${failures[@]}"
status=$?
cd "$root"
[ "${#failures[@]}" -eq 0 ] && [ $status -eq 0 ]
