"""How long does a learner wait for this pipeline, against the original course's?

Three copies of the project, side by side: `project`, the pipeline as it is (check_params, then
each stage a notebook run by papermill); `same code`, each notebook's code cells run as a plain
script (what papermill and the kernel add); `course`, the original course's five plain scripts
(benchmarks/course_scripts/, as iterative/course-ds-base's src/stages/*.py). Each is timed as a
cold `dvc repro --force`, alternated run by run so that all see the same machine load; then each
stage alone, a no-op `dvc repro`, and each stage's imports (`python -X importtime`) against a
budget of what it may import. Last, the parts the course does not pay (papermill's import, a
kernel's start, check_params) and the lower bound they set for this design.

Targets (issue #28): project <= 1.3x course (cold); no-op no slower than the course's.
Usage: python benchmarks/pipeline_overhead.py [--repeat N]   (or: make bench)
This is a measurement, not a test: it prints figures and never fails on them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from functools import partial
from pathlib import Path

import nbformat
import yaml

from workbook.workspace import PROJECT_FILES, Workspace, isolated_environ

STAGES = ("data_load", "featurize", "data_split", "train", "evaluate")
FILES = (*PROJECT_FILES, "dvc.lock", ".dvcignore")  # the project, with its last run's record
COURSE_SCRIPTS = Path(__file__).parent / "course_scripts"
# What a stage's imports (and reading params.yaml) may pull in: only what the stage uses.
HEAVY = ("sklearn", "scipy", "matplotlib", "pandas")
MAY_IMPORT = {
    "load_params": (),
    "data_load": ("sklearn", "scipy", "pandas"),
    "featurize": ("pandas",),
    "data_split": ("sklearn", "scipy", "pandas"),
    "train": ("sklearn", "scipy", "pandas"),
    "evaluate": HEAVY,
}

# What a papermill pipeline pays and the course's does not, measured one by one.
PARTS = {
    "python": "Python's start (paid by both)",
    "papermill": "papermill's import, before the kernel starts",
    "kernel": "the kernel, from its start until it answers",
    "check": "`check_params`, a stage of its own",
}


def stage_code(stage: str, root: Path) -> str:
    nb = nbformat.read(root / "stages" / f"{stage}.ipynb", as_version=4)
    return "\n\n".join(cell.source for cell in nb.cells if cell.cell_type == "code") + "\n"


def same_code_pipeline(root: Path) -> None:
    """A copy's dvc.yaml turned into the same stages run as plain Python scripts."""
    pipeline = yaml.safe_load((root / "dvc.yaml").read_text())
    for stage, spec in pipeline["stages"].items():
        if spec["cmd"].startswith("papermill "):
            (root / f"plain_{stage}.py").write_text(stage_code(stage, root))
            spec["cmd"] = f"python plain_{stage}.py"
            spec["outs"] = [out for out in spec["outs"] if not str(out).startswith("reports/runs/")]
    (root / "dvc.yaml").write_text(yaml.safe_dump(pipeline, sort_keys=False))


def course_pipeline(root: Path) -> None:
    """A copy's dvc.yaml turned into the original course's: five scripts, no check stage."""
    shutil.copytree(COURSE_SCRIPTS, root / "course_scripts")
    pipeline = yaml.safe_load((root / "dvc.yaml").read_text())
    del pipeline["stages"]["check_params"]
    for stage, spec in pipeline["stages"].items():
        spec["cmd"] = f"python course_scripts/{stage}.py --config params.yaml"
        spec["deps"] = [f"course_scripts/{stage}.py"] + [
            dep for dep in spec["deps"] if not str(dep).startswith(("stages/", "src/", "reports/runs/"))
        ]
        spec["outs"] = [out for out in spec["outs"] if not str(out).startswith("reports/runs/")]
    (root / "dvc.yaml").write_text(yaml.safe_dump(pipeline, sort_keys=False))
    params = yaml.safe_load((root / "params.yaml").read_text())
    for path in ("data/raw/x", params["featurize"]["features_path"], params["train"]["model_path"], "reports/x"):
        (root / path).parent.mkdir(parents=True, exist_ok=True)


def alternated(commands: dict[str, tuple[list[str], Path]], env: dict[str, str], repeat: int) -> dict[str, float]:
    """Median seconds of each command, run in turn `repeat` times."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, (cmd, cwd) in commands.items():
            command = partial(subprocess.run, cmd, cwd=cwd, env=env, check=True, capture_output=True)
            times[name].append(timeit.timeit(command, number=1))
    return {name: statistics.median(values) for name, values in times.items()}


def import_cost(stage: str, root: Path, env: dict[str, str]) -> tuple[float, set[str]]:
    """Milliseconds a stage's import lines and its reading of params.yaml take (`-X importtime`'s top-level
    sum; `load_params`: that alone), and the heavy packages among them."""
    code = "from iris_pipeline.config import load_params" if stage == "load_params" else stage_code(stage, root)
    imports = [line for line in code.splitlines() if line.startswith(("import ", "from "))]
    code = "\n".join([*imports, "load_params('params.yaml')"])
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], cwd=root, env=env, check=True, capture_output=True, text=True
    )
    found = re.findall(r"import time:\s+\d+ \|\s+(\d+) \|( +)(\S+)", done.stderr)  # (cumulative us, indent, module)
    total = sum(int(micros) for micros, indent, _ in found if indent == " ")
    return total / 1000, {module.split(".")[0] for *_, module in found} & set(HEAVY)


def kernel_start(kernel_name: str, repeat: int) -> float:
    """Median seconds from the engine's early start of a stage's kernel until the kernel answers."""
    import papermill  # noqa: F401  (first: papermill loads the engine's module while it is imported)
    from papermill_reproducible import EarlyKernel

    async def ready(km) -> None:
        client = km.client()
        client.start_channels()
        await client.wait_for_ready(timeout=60)

    def once() -> float:
        start = time.perf_counter()
        early = EarlyKernel(kernel_name)  # in this process's environment, as the engine's is
        asyncio.run(ready(early.km))
        took = time.perf_counter() - start
        early.kill()
        return took

    return statistics.median(once() for _ in range(repeat))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement (median kept)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        tmp = Path(tmp)
        env = isolated_environ(tmp / "home", tmp)
        roots = {}
        for name, make in (("project", None), ("same code", same_code_pipeline), ("course", course_pipeline)):
            roots[name] = Workspace(root=tmp).copy_project(name.replace(" ", "-"), files=FILES)
            if make:
                make(roots[name])
            for cmd in (["git", "init", "-q"], ["dvc", "init", "-q"], ["dvc", "repro", "-q"]):
                subprocess.run(cmd, cwd=roots[name], env=env, check=True, capture_output=True)

        force = ["dvc", "repro", "--force", "-q"]
        cold = alternated({name: (force, root) for name, root in roots.items()}, env, args.repeat)
        print("  measured the cold pipelines", file=sys.stderr)

        lock = yaml.safe_load((roots["project"] / "dvc.lock").read_text())
        commands = {
            "project": lambda stage: shlex.split(lock["stages"][stage]["cmd"]),
            "same code": lambda stage: [sys.executable, f"plain_{stage}.py"],
            "course": lambda stage: [sys.executable, f"course_scripts/{stage}.py", "--config", "params.yaml"],
        }
        rows = []
        for stage in STAGES:
            runs = {name: (command(stage), roots[name]) for name, command in commands.items()}
            rows.append((f"stage `{stage}` alone", alternated(runs, env, args.repeat)))
            print(f"  measured {stage}", file=sys.stderr)
        noop = alternated({name: (["dvc", "repro", "-q"], roots[name]) for name in roots}, env, max(args.repeat, 5))
        project = roots["project"]
        imports = {stage: import_cost(stage, project, env) for stage in MAY_IMPORT}
        check = shlex.split(lock["stages"]["check_params"]["cmd"])
        starts = {"python": "pass", "papermill": "import papermill.cli"}
        runs = {key: ([sys.executable, "-c", code], project) for key, code in starts.items()}
        parts = alternated({**runs, "check": (check, project)}, env, args.repeat)
        kernel_name = nbformat.read(project / "stages" / "train.ipynb", as_version=4).metadata.kernelspec.name
        parts["kernel"] = kernel_start(kernel_name, args.repeat)

    machine = f"Python {sys.version.split()[0]}, {os.cpu_count()} cores"
    print(f"Median of {args.repeat} alternated runs, seconds ({machine})\n")
    print("| what | project (papermill) | same code, plain | course scripts | project / course |")
    print("|---|---:|---:|---:|---:|")
    for what, medians in [("**cold `dvc repro --force`**", cold), *rows, ("no-op `dvc repro`", noop)]:
        pm, same, course = medians["project"], medians["same code"], medians["course"]
        print(f"| {what} | {pm:.2f} | {same:.2f} | {course:.2f} | {pm / course:.2f}x |")
    print("\n| imports of | ms | heavy packages | within budget |")
    print("|---|---:|---|---|")
    for stage, (ms, heavy) in imports.items():
        extra = ", ".join(sorted(heavy - set(MAY_IMPORT[stage])))
        print(f"| `{stage}` | {ms:.0f} | {', '.join(sorted(heavy)) or '-'} | {'NO: ' + extra if extra else 'yes'} |")
    print("\n| what a papermill pipeline pays and the course's does not | seconds |")
    print("|---|---:|")
    for key, what in PARTS.items():
        print(f"| {what} | {parts[key]:.2f} |")
    # Each stage imports papermill before its kernel starts, and check_params runs before the stages.
    bound = cold["course"] + parts["check"] + len(STAGES) * (parts["papermill"] - parts["python"])
    print(
        f"\nlower bound of this design, with kernels that cost nothing (course + check_params + "
        f"{len(STAGES)} x papermill's import): {bound:.2f} s, {bound / cold['course']:.2f}x"
    )
    ratio = cold["project"] / cold["course"]
    print(f"\ntarget project/course <= 1.30x (cold): {'met' if ratio <= 1.3 else 'NOT met'} ({ratio:.2f}x)")
    print(f"target no-op no slower than the course's: {'met' if noop['project'] <= noop['course'] else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
