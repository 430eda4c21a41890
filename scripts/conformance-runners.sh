#!/usr/bin/env bash
# The conformance suite under runners other than vitest (after `pnpm build`): the memory and file suites
# under node:test and `bun test` (Bun from the root devDependency). vitest runs them with the rest of the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bun_bin=$(ls -d node_modules/.pnpm/@oven+bun-linux-x64@*/node_modules/@oven/bun-linux-x64/bin/bun 2>/dev/null | head -n 1)
[ -n "$bun_bin" ] || { echo "error: no Bun binary under node_modules (root devDependency bun); run pnpm install" >&2; exit 1; }
bun_bin="$(pwd)/$bun_bin"
suites=(packages/storage-conformance/test/runners/memory packages/storage-file/test/runners/file)
for suite in "${suites[@]}"; do
  echo "==> node --test ${suite}.node-test.mjs"
  (cd "${suite%/test/runners/*}" && node --test --test-reporter=dot "test/runners/${suite##*/}.node-test.mjs")
  echo "==> bun test ${suite}.bun-test.mjs"
  (cd "${suite%/test/runners/*}" && "$bun_bin" test --timeout 120000 "./test/runners/${suite##*/}.bun-test.mjs" 2>&1 | tail -n 4)
done
