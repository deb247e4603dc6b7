#!/usr/bin/env bash
# jupyter_server for the stand-in's kernels: the repository's environment
# (tgraph installed), the test workspace as its root, the token from
# JUPYTER_STAND_IN_TOKEN. Usage: start-jupyter.sh PORT
set -euo pipefail
port=$1
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
state="$repo/build/vscode-test"
mkdir -p "$state/workspace" "$state/jupyter"
export JUPYTER_CONFIG_DIR="$state/jupyter" JUPYTER_RUNTIME_DIR="$state/jupyter/runtime"
export JUPYTER_DATA_DIR="$state/jupyter/data" IPYTHONDIR="$state/jupyter/ipython"
exec "$repo/.venv/bin/jupyter-server" --no-browser --allow-root --ip 127.0.0.1 --port "$port" \
  --ServerApp.root_dir="$state/workspace" --IdentityProvider.token="$JUPYTER_STAND_IN_TOKEN" \
  --ServerApp.port_retries=0
