#!/usr/bin/env bash
# The main job on a fresh machine with Node and npm: installs pnpm and the packages, builds them, and runs
# the example session with the default file storage (~/.channelcoder/sessions, or $CHANNELCODER_HOME).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_packages
echo "==> build"
pnpm build --output-logs=errors-only >/dev/null
echo "==> examples/file-session.mjs"
node examples/file-session.mjs
