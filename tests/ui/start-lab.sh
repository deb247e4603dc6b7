#!/usr/bin/env bash
# JupyterLab for the browser tests: no token, a throw-away root folder, and
# the repository's environment. TGRAPH_DISABLE_LABEXTENSION=1 starts it with
# the extension disabled, as VS Code would show the widget.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv="$here/../../.venv"
root="$here/.lab-root"
rm -rf "$root" && mkdir -p "$root"
cd "$root"
export JUPYTER_CONFIG_DIR="$root/.jupyter"
mkdir -p "$JUPYTER_CONFIG_DIR/labconfig"
if [ "${TGRAPH_DISABLE_LABEXTENSION:-0}" = 1 ]; then
  echo '{"disabledExtensions": {"jupyter-tgraph": true}}' > "$JUPYTER_CONFIG_DIR/labconfig/page_config.json"
fi
exec "$venv/bin/jupyter" lab --config "$here/jupyter_server_test_config.py" --port 8899 --no-browser
