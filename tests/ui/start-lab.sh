#!/usr/bin/env bash
# JupyterLab for the browser tests: no token, a throw-away root folder, and
# the repository's environment. Usage: start-lab.sh PORT DISABLE_EXTENSION(0|1)
set -euo pipefail
port=$1
disabled=${2:-0}
here=$(cd "$(dirname "$0")" && pwd)
venv="$here/../../.venv"
root="$here/.lab-root-$port"
rm -rf "$root" && mkdir -p "$root/config/labconfig" "$root/files"
export JUPYTER_CONFIG_DIR="$root/config"
export JUPYTERLAB_GALATA_ROOT_DIR="$root/files"
# Two CPU devices for JAX, so device switching is tested without a GPU.
export XLA_FLAGS="--xla_force_host_platform_device_count=2"
if [ "$disabled" = 1 ]; then
  echo '{"disabledExtensions": {"jupyter-tgraph": true}}' > "$JUPYTER_CONFIG_DIR/labconfig/page_config.json"
fi
exec "$venv/bin/jupyter" lab --config "$here/jupyter_server_test_config.py" \
  --ServerApp.port="$port" --no-browser --allow-root
