#!/usr/bin/env bash
# JupyterLab whose kernels run on a Jupyter Kernel Gateway, both on localhost,
# for the browser tests of remote kernels. Usage: start-gateway-lab.sh LAB_PORT GATEWAY_PORT
# The gateway lists its kernels (JupyterLab polls that list) and otherwise
# keeps its defaults: a kernel sees only PATH of the gateway's environment.
set -euo pipefail
port=$1
gateway_port=$2
here=$(cd "$(dirname "$0")" && pwd)
venv="$here/../../.venv"
root="$here/.lab-root-$port"
rm -rf "$root" && mkdir -p "$root/config" "$root/files" "$root/kernels"
export JUPYTER_CONFIG_DIR="$root/config"
export JUPYTERLAB_GALATA_ROOT_DIR="$root/files"

# The kernels start in their own folder, as they would on another machine.
(cd "$root/kernels" && exec "$venv/bin/jupyter" kernelgateway \
  --KernelGatewayApp.ip=127.0.0.1 --KernelGatewayApp.port="$gateway_port" \
  --KernelGatewayApp.port_retries=0 --JupyterWebsocketPersonality.list_kernels=True) &
gateway=$!
lab=
# On SIGTERM each server shuts its kernels down before it exits: JupyterLab
# first (it asks the gateway to), then the gateway.
stop() {
  trap - EXIT INT TERM
  if [ -n "$lab" ]; then
    kill -TERM "$lab" 2>/dev/null || true
    wait "$lab" || true
  fi
  kill -TERM "$gateway" 2>/dev/null || true
  wait "$gateway" || true
}
trap stop EXIT INT TERM

for _ in $(seq 120); do
  curl -sf "http://127.0.0.1:$gateway_port/api/kernelspecs" >/dev/null && break
  kill -0 "$gateway" 2>/dev/null || exit 1
  sleep 0.5
done

"$venv/bin/jupyter" lab --config "$here/jupyter_server_test_config.py" \
  --ServerApp.port="$port" --no-browser --allow-root \
  --gateway-url="http://127.0.0.1:$gateway_port" &
lab=$!
wait "$lab"
