"""How much does running the stages as notebooks through papermill cost?

Measured side by side, in one run, in two throwaway copies of the project:
- the pipeline as it is (each stage a notebook run by papermill), and
- the same pipeline with each stage's code cells run as a plain Python script (the
  same functions, the same values, no Jupyter; no executed notebook kept);
each timed as a cold `dvc repro --force`, the two alternated run by run so that both
see the same machine load. Then each stage alone (papermill against plain, alternated),
and a no-op `dvc repro`.

Targets (issue #12): papermill pipeline <= 1.3x the plain-Python one; no-op <= 0.9 s.
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


def plain_pipeline(root: Path) -> None:
    """Turn a copy's dvc.yaml into the same pipeline run as plain Python scripts."""
    pipeline = yaml.safe_load((root / "dvc.yaml").read_text())
    for stage, spec in pipeline["stages"].items():
        if not spec["cmd"].startswith("papermill "):
            continue  # check_params is plain Python already
        spec["cmd"] = f"python {stage_script(stage, root).name}"
        spec["outs"] = [out for out in spec["outs"] if not str(out).startswith("reports/runs/")]
    (root / "dvc.yaml").write_text(yaml.safe_dump(pipeline, sort_keys=False))


def alternated(commands: dict[str, tuple[list[str], Path]], env: dict[str, str], repeat: int) -> dict[str, float]:
    """Median seconds of each command, run in turn `repeat` times."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, (cmd, cwd) in commands.items():
            times[name].append(timed(cmd, cwd, env))
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement (median kept)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        tmp = Path(tmp)
        env = isolated_environ(tmp / "home", tmp)
        roots = {}
        for name in ("papermill", "plain"):
            roots[name] = Workspace(root=tmp).copy_project(name, files=FILES)
            if name == "plain":
                plain_pipeline(roots[name])
            for cmd in (["git", "init", "-q"], ["dvc", "init", "-q"], ["dvc", "repro", "-q"]):
                subprocess.run(cmd, cwd=roots[name], env=env, check=True, capture_output=True)

        force = ["dvc", "repro", "--force", "-q"]
        cold = alternated({name: (force, root) for name, root in roots.items()}, env, args.repeat)
        print("  measured the cold pipelines", file=sys.stderr)

        lock = yaml.safe_load((roots["papermill"] / "dvc.lock").read_text())
        rows = []
        for stage in STAGES:
            medians = alternated(
                {
                    "papermill": (shlex.split(lock["stages"][stage]["cmd"]), roots["papermill"]),
                    "plain": ([sys.executable, f"plain_{stage}.py"], roots["plain"]),
                },
                env,
                args.repeat,
            )
            rows.append((stage, medians["papermill"], medians["plain"]))
            print(f"  measured {stage}", file=sys.stderr)
        noop = alternated({"noop": (["dvc", "repro", "-q"], roots["papermill"])}, env, max(args.repeat, 5))["noop"]

    ratio = cold["papermill"] / cold["plain"]
    machine = f"Python {sys.version.split()[0]}, {os.cpu_count()} cores"
    print(f"Median of {args.repeat} alternated runs, seconds ({machine})\n")
    print("| what | papermill | plain Python | ratio |")
    print("|---|---:|---:|---:|")
    pm, plain = cold["papermill"], cold["plain"]
    print(f"| **cold `dvc repro --force`** | **{pm:.2f}** | **{plain:.2f}** | **{ratio:.2f}x** |")
    for stage, pm, plain in rows:
        print(f"| stage `{stage}` alone | {pm:.2f} | {plain:.2f} | {pm / plain:.2f}x |")
    print()
    print(f"no-op `dvc repro`: {noop:.2f} s")
    print()
    print(f"target papermill/plain <= 1.30x: {'met' if ratio <= 1.3 else 'NOT met'}")
    print(f"target no-op <= 0.9 s:          {'met' if noop <= 0.9 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
