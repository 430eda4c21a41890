#!/usr/bin/env bash
# The main job on a fresh machine with Node and npm: installs pnpm and the packages (the real `claude` CLI
# among them), builds them, and drives the `channelcoder` CLI: start a named session, continue it, list
# sessions, with the file storage. Against the Anthropic API when credentials are set, otherwise against the
# in-repo mock API (it says which). Sessions go to $CHANNELCODER_HOME/sessions (default: a new temp folder).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_packages
build_with_progress
echo "==> channelcoder CLI demo (packages/channelcoder/scripts/demo.mjs)"
node packages/channelcoder/scripts/demo.mjs
