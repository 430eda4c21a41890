#!/usr/bin/env bash
# Starts the backends the tests use, on 127.0.0.1 only, and stops them by PID.
#   scripts/services.sh start <state-dir>   installs redis-server, PostgreSQL 15, tmux and chromium from Debian if missing,
#                                           starts both, writes <state-dir>/services.env (source it)
#   scripts/services.sh stop <state-dir>    stops what start started (by the PIDs it recorded)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/lib.sh"
cmd="${1:?usage: services.sh start|stop <state-dir>}"
state="${2:?usage: services.sh start|stop <state-dir>}"
PG_BIN=/usr/lib/postgresql/15/bin

install_missing() {
  local missing=()
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  [ -x "$PG_BIN/initdb" ] || missing+=(postgresql)
  command -v tmux >/dev/null 2>&1 || missing+=(tmux) # terminal tests (spinner on a TTY, interactive mode)
  [ -x /usr/bin/chromium ] || missing+=(chromium) # exported HTML checked in headless Chromium (playwright-core)
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "==> installing ${missing[*]} (Debian packages)"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  # The Debian packages start their own services; the tests use private instances only.
}

start_redis() {
  local port; port=$(free_port)
  mkdir -p "$state/redis"
  redis-server --bind 127.0.0.1 --port "$port" --dir "$state/redis" --save '' --appendonly no \
    --daemonize no >"$state/redis.log" 2>&1 &
  echo $! >"$state/redis.pid"
  for _ in $(seq 1 50); do
    redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null
  echo "export CHANNELCODER_TEST_REDIS_URL=redis://127.0.0.1:$port" >>"$state/services.env"
  echo "==> redis-server on 127.0.0.1:$port (pid $(cat "$state/redis.pid"))"
}

start_postgres() {
  local port data; port=$(free_port); data="$state/pg"
  mkdir -p "$data"
  chmod 755 "$state"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$data"; run_pg() { runuser -u postgres -- "$@"; }; else run_pg() { "$@"; }; fi
  run_pg "$PG_BIN/initdb" -D "$data" --auth=trust -U postgres -E UTF8 >"$state/initdb.log" 2>&1
  run_pg "$PG_BIN/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
    -o "-p $port -k $data -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
  head -n 1 "$data/postmaster.pid" >"$state/postgres.pid"
  "$PG_BIN/pg_isready" -h 127.0.0.1 -p "$port" >/dev/null
  echo "export CHANNELCODER_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:$port/postgres" >>"$state/services.env"
  echo "==> PostgreSQL on 127.0.0.1:$port (pid $(cat "$state/postgres.pid"))"
}

stop_pid() {
  local file="$1" pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

case "$cmd" in
  start)
    mkdir -p "$state"
    : >"$state/services.env"
    install_missing
    start_redis
    start_postgres
    ;;
  stop)
    stop_pid "$state/redis.pid"
    stop_pid "$state/postgres.pid"
    ;;
  *) echo "usage: services.sh start|stop <state-dir>" >&2; exit 2 ;;
esac
