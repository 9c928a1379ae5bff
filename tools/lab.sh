#!/usr/bin/env bash
# `make lab`: JupyterLab at the repository root, with the project's kernel.
#
# The lessons name the kernel `mlops-course` in their metadata, so they open with it
# (no "Select Kernel" dialog); new notebooks get it by default too. Extra arguments go
# to `jupyter lab`, e.g. `tools/lab.sh --no-browser --port 8899`.
# tests/test_browser.py starts JupyterLab through this script.
set -euo pipefail
cd "$(dirname "$0")/.."
exec jupyter lab --notebook-dir=. --MappingKernelManager.default_kernel_name=mlops-course "$@"
