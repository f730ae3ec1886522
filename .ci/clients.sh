#!/usr/bin/env bash
# Installs the client programs that the edge tests run against real nodes (clients nobody here
# wrote): Python packages from PyPI into a venv at .build/clients-venv, and Debian's chromium.
# Idempotent; `.ci/run` calls it before `swift test`. Prints the venv's python path at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.build/clients-venv
need=()
command -v python3 >/dev/null 2>&1 || need+=(python3)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
if [ "${MESH_CLIENTS_BROWSER:-1}" = 1 ]; then
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
fi
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
if [ ! -x "$venv/bin/python" ]; then
  mkdir -p .build && python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check -r .ci/requirements.txt
echo "$PWD/$venv/bin/python"
