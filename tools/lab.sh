#!/usr/bin/env bash
# `make lab [ARGS="--no-browser --port 8899"]`: JupyterLab at the repository root from its .venv, new
# notebooks on the lessons' kernel; as root (containers) with --allow-root, or Jupyter refuses to
# start. What a save writes is set by workbook.jupyter_save (`make setup`).
set -euo pipefail
cd "$(dirname "$0")/.."
jupyter=.venv/bin/jupyter
if [[ ! -x $jupyter ]]; then
    echo "error: $PWD/$jupyter not found: run \`make setup\` first (it creates .venv with JupyterLab)" >&2
    exit 1
fi
# No array for the optional flag: macOS's bash 3.2 refuses an empty one under `set -u`.
if [[ $(id -u) -eq 0 ]]; then
    set -- --allow-root "$@"
fi
exec "$jupyter" lab --notebook-dir=. --MappingKernelManager.default_kernel_name=mlops-course "$@"
