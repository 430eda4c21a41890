#!/usr/bin/env bash
# A private npm registry (Verdaccio) on 127.0.0.1 for the release round trip, stopped by PID.
#   scripts/registry.sh start <state-dir>   writes <state-dir>/registry.env (REGISTRY_URL, NPM_CONFIG_USERCONFIG)
#   scripts/registry.sh stop <state-dir>
# @channelcoder/* and channelcoder are served from what is published to it (anyone may publish them);
# every other package is proxied from registry.npmjs.org, so a consumer installs from this registry only.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/lib.sh"
. "$here/tools.sh"
cmd="${1:?usage: registry.sh start|stop <state-dir>}"
state="${2:?usage: registry.sh start|stop <state-dir>}"

ping_registry() { node -e "fetch(process.argv[1] + '-/ping').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))" "$1"; }

start() {
  local bin port url
  bin=$(verdaccio_bin)
  port=$(free_port)
  url="http://127.0.0.1:$port/"
  mkdir -p "$state/verdaccio/storage"
  cat >"$state/verdaccio/config.yaml" <<YAML
storage: $state/verdaccio/storage
max_body_size: 200mb
auth:
  htpasswd:
    file: $state/verdaccio/htpasswd
    max_users: -1
uplinks:
  npmjs:
    url: https://registry.npmjs.org/
    timeout: 60s
packages:
  '@channelcoder/*':
    access: \$all
    publish: \$anonymous \$all
  'channelcoder':
    access: \$all
    publish: \$anonymous \$all
  '**':
    access: \$all
    publish: \$authenticated
    proxy: npmjs
log: { type: stdout, format: pretty, level: warn }
YAML
  # npm refuses to publish without a token for the registry, even one Verdaccio does not check.
  printf 'registry=%s\n//127.0.0.1:%s/:_authToken=anonymous\n' "$url" "$port" >"$state/npmrc"
  "$bin" --config "$state/verdaccio/config.yaml" --listen "127.0.0.1:$port" >"$state/verdaccio.log" 2>&1 &
  echo $! >"$state/verdaccio.pid"
  for _ in $(seq 1 100); do
    ping_registry "$url" && break
    sleep 0.2
  done
  ping_registry "$url" || { cat "$state/verdaccio.log" >&2; echo "error: Verdaccio did not start" >&2; exit 1; }
  {
    echo "export REGISTRY_URL=$url"
    echo "export NPM_CONFIG_USERCONFIG=$state/npmrc"
  } >"$state/registry.env"
  echo "==> Verdaccio $VERDACCIO_VERSION on $url (pid $(cat "$state/verdaccio.pid"))"
}

stop() {
  [ -f "$state/verdaccio.pid" ] || return 0
  local pid; pid=$(cat "$state/verdaccio.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$state/verdaccio.pid"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: registry.sh start|stop <state-dir>" >&2; exit 2 ;;
esac
