# Shared by the scripts in this folder: pnpm at the pinned version and the repository's packages.
PNPM_VERSION=10.34.9
export TURBO_TELEMETRY_DISABLED=1
export DO_NOT_TRACK=1

ensure_pnpm() {
  if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
    echo "==> installing pnpm $PNPM_VERSION"
    npm install -g "pnpm@$PNPM_VERSION" >/dev/null
  fi
}

# The install's whole output goes to .tmp/install.log (inside the repository, ignored by git); the terminal
# gets its summary: what changed, pnpm's warnings as one line each (not the box around them), the time.
ensure_packages() {
  ensure_pnpm
  mkdir -p .tmp
  echo "==> pnpm install (full log: .tmp/install.log)"
  if ! PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 pnpm install --frozen-lockfile --reporter=append-only >.tmp/install.log 2>&1; then
    tail -n 40 .tmp/install.log >&2
    echo "error: pnpm install failed (full log: .tmp/install.log)" >&2
    return 1
  fi
  summarize_install .tmp/install.log
}

summarize_install() {
  awk '
    /^│/ { line = $0; gsub(/^│ *| *│$/, "", line); if (line != "") box = box (box == "" ? "" : " ") line; next }
    /^╰/ { if (box != "") print "  warning: " box; box = ""; next }
    /^╭/ { next }
    /^(Already up to date|Packages: |Done in )/ { print "  " $0 }
  ' "$1"
}

# Runs turbo's build showing progress: each package as it starts (seconds since the build began), a line
# every 30 s while nothing new starts, then turbo's summary. The whole output is in .tmp/build.log; a failure prints its end.
build_with_progress() {
  mkdir -p .tmp
  BUILD_START=$SECONDS
  BUILD_SHOWN=0
  local status=0
  echo "==> build (each package as it starts; full log: .tmp/build.log)"
  pnpm build --output-logs=full >.tmp/build.log 2>&1 &
  local pid=$! quiet_since=$SECONDS shown
  while kill -0 "$pid" 2>/dev/null; do
    shown=$BUILD_SHOWN
    report_build_progress .tmp/build.log
    if [ "$BUILD_SHOWN" -ne "$shown" ]; then
      quiet_since=$SECONDS
    elif [ $((SECONDS - quiet_since)) -ge 30 ]; then
      echo "  [$((SECONDS - BUILD_START))s] still building…"
      quiet_since=$SECONDS
    fi
    sleep 1
  done
  wait "$pid" || status=$?
  report_build_progress .tmp/build.log
  if [ "$status" -ne 0 ]; then
    tail -n 40 .tmp/build.log >&2
    echo "error: the build failed (full log: .tmp/build.log)" >&2
    return "$status"
  fi
  grep -E '^ *(Tasks|Cached|Time):' .tmp/build.log | sed -e 's/^ */  /' -e 's/ *>>>.*$//' || true
}

# Prints the package starts logged since the last call (BUILD_SHOWN of them were printed before).
report_build_progress() {
  local -a starts
  mapfile -t starts < <(grep -E ':build: cache (hit|miss)' "$1" || true)
  local i line pkg
  for ((i = BUILD_SHOWN; i < ${#starts[@]}; i++)); do
    line=${starts[$i]}
    pkg=${line%%:build:*}
    case $line in
      *"cache hit"*) echo "  [$((SECONDS - BUILD_START))s] $pkg (cached)" ;;
      *) echo "  [$((SECONDS - BUILD_START))s] building $pkg" ;;
    esac
  done
  BUILD_SHOWN=${#starts[@]}
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
    echo "error: '$*' needs root; run it as root or install the packages named above yourself" >&2; return 1
  fi
}

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}
