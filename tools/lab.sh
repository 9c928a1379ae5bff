#!/usr/bin/env bash
# `make lab` (extra arguments: `make lab ARGS="--no-browser --port 8899"`): JupyterLab at
# the repository root, with the project's kernel, from the repository's own .venv (no
# need to activate it first).
#
# The lessons name the kernel `mlops-course` in their metadata, so they open with it
# (no "Select Kernel" dialog); new notebooks get it by default too. Extra arguments go
# to `jupyter lab`, e.g. `tools/lab.sh --no-browser --port 8899`. As root (the usual
# user in containers), `--allow-root` is added: Jupyter refuses to start as root without it.
# What saving a notebook changes is set by the configuration `make setup` installs into
# .venv (workbook.jupyter_save): opening and saving a lesson leaves it as committed.
# tests/test_browser.py starts JupyterLab through this script.
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
