#!/usr/bin/env bash
# VS Code (code-server) for the browser tests, from a fresh state: the built
# tgraph .vsix and the Jupyter stand-in installed, the test notebooks copied
# into a throw-away workspace, settings that point the stand-in at
# jupyter_server. Usage: start-code-server.sh PORT JUPYTER_PORT [bare]
# `bare`: tgraph alone, no Jupyter extension (a state folder of its own).
set -euo pipefail
port=$1
jupyter_port=$2
bare=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
env_dir="$repo/build/vscode-env"
state="$repo/build/vscode-test${bare:+-bare}"
code_server="$env_dir/code-server/node_modules/.bin/code-server"
export PATH="$env_dir/node/bin:$PATH"
export XDG_CONFIG_HOME="$state/xdg/config" XDG_DATA_HOME="$state/xdg/data" XDG_CACHE_HOME="$state/xdg/cache"
rm -rf "$state/user" "$state/extensions" "$state/stand-in" "$state/xdg"
mkdir -p "$state/user/User" "$state/extensions" "$state/workspace" "$XDG_CONFIG_HOME"
rm -rf "${state:?}/workspace/"* && cp "$here"/notebooks/*.ipynb "$state/workspace/"

# The stand-in, with the widget manager the Jupyter extension ships and anywidget's
# front end (its nbextension, an AMD module) registered as the module 'anywidget'.
cp -r "$here/stand-in" "$state/stand-in"
grep -v '^//# sourceMappingURL' "$here/node_modules/@vscode/jupyter-ipywidgets8/dist/ipywidgets.js" \
  >"$state/stand-in/ipywidgets8.js"
{
  echo "const define = (deps, factory) => window.define('anywidget', deps, factory);"
  cat "$repo/.venv/share/jupyter/nbextensions/anywidget/index.js"
} >"$state/stand-in/anywidget-amd.js"
(cd "$state/stand-in" && node "$repo/vscode/node_modules/@vscode/vsce/vsce" package \
  --no-dependencies --skip-license -o "$state/stand-in.vsix" >/dev/null)

packages=("$repo/build/jupyter-tgraph.vsix")
[ -n "$bare" ] || packages+=("$state/stand-in.vsix")
for vsix in "${packages[@]}"; do
  "$code_server" --user-data-dir "$state/user" --extensions-dir "$state/extensions" \
    --install-extension "$vsix" >/dev/null
done

cat >"$state/user/User/settings.json" <<JSON
{
  "jupyterStandIn.serverUrl": "http://127.0.0.1:$jupyter_port/",
  "jupyterStandIn.token": "$JUPYTER_STAND_IN_TOKEN",
  "workbench.editorAssociations": { "*.ipynb": "jupyter-notebook" },
  "workbench.startupEditor": "none",
  "workbench.colorTheme": "Default Light Modern",
  "workbench.tips.enabled": false,
  "telemetry.telemetryLevel": "off",
  "security.workspace.trust.enabled": false,
  "chat.disableAIFeatures": true,
  "extensions.autoUpdate": false,
  "extensions.autoCheckUpdates": false
}
JSON
exec "$code_server" --auth none --bind-addr "127.0.0.1:$port" --disable-telemetry \
  --disable-update-check --disable-workspace-trust --reconnection-grace-time 10 \
  --user-data-dir "$state/user" --extensions-dir "$state/extensions" "$state/workspace"
