"""How much does running the stages as notebooks through papermill cost?

Measured side by side, in one run, in a throwaway copy of the project:
- each stage through papermill (its `cmd` from dvc.lock, as `dvc repro` runs it),
  against the same stage's code cells run as a plain Python script (the same
  functions, the same values, no Jupyter);
- a cold `dvc repro --force` of the whole pipeline, and a no-op `dvc repro`.

Targets (issue #2): papermill pipeline <= 1.5x the plain-Python one; no-op < 1 s.
Usage: python benchmarks/pipeline_overhead.py [--repeat N]   (or: make bench)
This is a measurement, not a test: it prints figures and never fails on them.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import yaml

from workbook.workspace import Workspace, isolated_environ

STAGES = ("data_load", "featurize", "data_split", "train", "evaluate")
FILES = ("src", "stages", "params.yaml", "dvc.yaml", "dvc.lock", "pyproject.toml", ".dvcignore")


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def stage_script(stage: str, root: Path) -> Path:
    """The stage notebook's code cells as one plain Python file."""
    nb = nbformat.read(root / "stages" / f"{stage}.ipynb", as_version=4)
    code = "\n\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
    script = root / f"plain_{stage}.py"
    script.write_text(code + "\n")
    return script


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement (median kept)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        tmp = Path(tmp)
        root = Workspace(root=tmp).copy_project("project", files=FILES)
        env = isolated_environ(tmp / "home", tmp)
        for cmd in (["git", "init", "-q"], ["dvc", "init", "-q"], ["dvc", "repro", "-q"]):
            subprocess.run(cmd, cwd=root, env=env, check=True, capture_output=True)

        lock = yaml.safe_load((root / "dvc.lock").read_text())
        commands = {name: stage["cmd"] for name, stage in lock["stages"].items()}
        rows = []
        for stage in STAGES:
            script = stage_script(stage, root)
            pm = [timed(shlex.split(commands[stage]), root, env) for _ in range(args.repeat)]
            plain = [timed([sys.executable, str(script)], root, env) for _ in range(args.repeat)]
            rows.append((stage, statistics.median(pm), statistics.median(plain)))
            print(f"  measured {stage}", file=sys.stderr)

        cold = statistics.median(timed(["dvc", "repro", "--force", "-q"], root, env) for _ in range(args.repeat))
        noop = statistics.median(timed(["dvc", "repro", "-q"], root, env) for _ in range(max(args.repeat, 5)))

    total_pm = sum(r[1] for r in rows)
    total_plain = sum(r[2] for r in rows)
    print(f"Median of {args.repeat} runs each, seconds (Python {sys.version.split()[0]}, {os.cpu_count()} cores)\n")
    print("| stage | papermill | plain Python | ratio |")
    print("|---|---:|---:|---:|")
    for stage, pm, plain in rows:
        print(f"| {stage} | {pm:.2f} | {plain:.2f} | {pm / plain:.2f}x |")
    print(f"| **all five stages** | **{total_pm:.2f}** | **{total_plain:.2f}** | **{total_pm / total_plain:.2f}x** |")
    print()
    print(f"cold `dvc repro --force`: {cold:.2f} s")
    print(f"no-op `dvc repro`:        {noop:.2f} s")
    print()
    print(f"target papermill/plain <= 1.50x: {'met' if total_pm / total_plain <= 1.5 else 'NOT met'}")
    print(f"target no-op < 1 s:              {'met' if noop < 1 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
