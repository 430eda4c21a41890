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

ensure_packages() {
  ensure_pnpm
  echo "==> pnpm install"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 pnpm install --frozen-lockfile --reporter=append-only | tail -n 3
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
    echo "error: '$*' needs root; run it as root or install the packages named above yourself" >&2; return 1
  fi
}

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}
