#!/usr/bin/env bash
# The main job on a fresh machine with Node and npm: installs pnpm and the packages (the real `claude` CLI
# among them), builds them, and runs a multi-turn session through the CLI with the default file storage
# (~/.channelcoder/sessions, or $CHANNELCODER_HOME): against the Anthropic API when credentials are set,
# otherwise against the in-repo mock API (the example says which).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_packages
echo "==> build"
pnpm build --output-logs=errors-only >/dev/null
echo "==> examples/claude-session.mjs"
node examples/claude-session.mjs
