"""Run lesson notebooks top to bottom and store their outputs: `make lessons`.

`python -m workbook.run_lessons [-j N] [lessons/03-*.ipynb ...]` executes each notebook in a
fresh kernel of the project's environment, from its own folder, and writes it back in place
with its new outputs; two lessons at a time by default (each has its own kernel and scratch
workspace), the longest first. Execution and the merging of stream chunks are nbconvert's own
preprocessors (`ExecutePreprocessor`, `CoalesceStreamsPreprocessor`); what is stored is
`notebook_hygiene`'s: no Python version, this checkout's absolute path in outputs as
`/path/to/workbook/...`, and a cell's stored outputs kept where the new ones differ only in
what the lesson checks treat as volatile (tests/nbval_sanitize.cfg: clock times, queue task
ids, durations). A rerun that changes nothing leaves the files unchanged, on any machine. The
tests (nbval, strict) then check that the stored outputs are what a run gives.

Figures in a lesson's text come from its run: a markdown cell whose metadata holds
`workbook.template` (Jinja2, as every template of the course) is rewritten from that template
when the lesson runs, rendered by `workbook.render` in the lesson's kernel after its last cell,
with the kernel's names (Jupyter's `user_expressions`, so nothing shows as an output): the
names it uses must keep their value to the end. "F1 went from {{ old_f1 }} to {{ new_f1 }}"
can then not go stale when a default changes. A field that fails stops the run, naming the
lesson and cell.

A code cell that shows a value of params.yaml as a learner would type it (lesson 1's and
lesson 3's prototype, lesson 5's DVCLive loop) is rendered from params.yaml before it runs:
its metadata's `workbook.params_template` is a Jinja2 template (`{{ params.train.cv }}`,
`{{ params.train | to_yaml }}`), so a new default reaches the lesson at `make lessons`.
"""

from __future__ import annotations

import argparse
import ast
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import nbformat
import notebook_hygiene as hygiene
import yaml
from jupyter_core.utils import run_sync
from nbconvert.preprocessors import CoalesceStreamsPreprocessor, ExecutePreprocessor

from workbook.render import TemplateError, render
from workbook.workspace import REPO_ROOT

LESSONS_DIR = REPO_ROOT / "lessons"
PARAMS_FILE = REPO_ROOT / "params.yaml"
KERNEL = "mlops-course"
SANITIZE = REPO_ROOT / "tests" / "nbval_sanitize.cfg"  # what the lesson checks (nbval) treat as volatile


def keep_unchanged_outputs(old: nbformat.NotebookNode, new: nbformat.NotebookNode) -> int:
    """`notebook_hygiene.keep_unchanged_outputs` with the lesson checks' substitutions."""
    return hygiene.keep_unchanged_outputs(old, new, hygiene.volatile_patterns(SANITIZE))


def lesson_paths(args: list[str]) -> list[Path]:
    """The notebooks named in `args`, or every lesson."""
    if args:
        return [Path(a).resolve() for a in args]
    return sorted(LESSONS_DIR.glob("[0-9][0-9]-*.ipynb"))


def template_of(cell) -> str | None:
    """The template a markdown cell's text is rendered from, if it has one."""
    if cell.get("cell_type") != "markdown":
        return None
    return cell.get("metadata", {}).get("workbook", {}).get("template")


def params_template_of(cell) -> str | None:
    """The Jinja2 template a code cell's source is rendered from (with params.yaml), if any."""
    if cell.get("cell_type") != "code":
        return None
    return cell.get("metadata", {}).get("workbook", {}).get("params_template")


def render_params_template(template: str, params_file: Path = PARAMS_FILE) -> str:
    """A code cell's source from its template: `{{ params.train.cv }}` is params.yaml's value,
    `{{ params.train | to_yaml }}` a section as YAML. A missing key fails, naming it."""
    params = yaml.safe_load(params_file.read_text(encoding="utf-8"))
    return render(template, params_file.name, params=params)


class LessonExecutor(ExecutePreprocessor):
    """nbconvert's ExecutePreprocessor that, once the last cell has run and while the kernel
    is still there, renders the templated markdown cells."""

    def preprocess_cell(self, cell, resources, index):
        if (params_template := params_template_of(cell)) is not None:
            cell.source = render_params_template(params_template)
        if template_of(cell) is None:
            cell, resources = super().preprocess_cell(cell, resources, index)
        if index == len(self.nb.cells) - 1:
            for number, templated in enumerate(self.nb.cells, 1):
                if (template := template_of(templated)) is not None:
                    templated.source = run_sync(self.render)(template, number)
        return cell, self.resources

    async def render(self, template: str, number: int) -> str:
        """The template rendered by `workbook.render` in the lesson's kernel, with its names."""
        where = f"{self.resources.get('lesson', 'lesson')}, cell {number}"
        call = f"__import__('workbook.render').render.render({template!r}, {where!r}, **globals())"
        reply = await self.kc.execute_interactive(
            "", silent=True, store_history=False, user_expressions={"text": call}, timeout=60
        )
        result = reply["content"]["user_expressions"]["text"]
        if result["status"] != "ok":
            named = result["ename"] == "TemplateError"  # render's own message names the place
            raise TemplateError(result["evalue"] if named else f"{where}: {result['ename']}: {result['evalue']}")
        return ast.literal_eval(result["data"]["text/plain"])


def run_lesson(path: Path, timeout: int = 1200, progress: bool = True) -> None:
    """Execute one notebook in place, printing a line per cell as progress (if `progress`).
    The file is written only when every cell ran: a failed run leaves it as it was."""
    nb = nbformat.read(path, as_version=4)
    stored = nbformat.read(path, as_version=4)
    code_cells = sum(cell.cell_type == "code" for cell in nb.cells)
    done = 0

    def on_cell_executed(cell, cell_index, execute_reply):
        nonlocal done
        done += 1
        if progress:
            print(f"\r  {path.name}: cell {done}/{code_cells}", end="", file=sys.stderr, flush=True)

    execute = LessonExecutor(
        kernel_name=KERNEL,
        timeout=timeout,
        record_timing=False,
        on_cell_executed=on_cell_executed,
        kernel_manager_class=hygiene.IPCKernelManager,
    )
    started = time.perf_counter()
    try:
        execute.preprocess(nb, {"metadata": {"path": str(path.parent)}, "lesson": path.name})
    finally:
        if progress:
            print(file=sys.stderr)
    CoalesceStreamsPreprocessor().preprocess(nb, {})
    hygiene.scrub(nb)
    hygiene.portable_outputs(nb, REPO_ROOT)
    keep_unchanged_outputs(stored, nb)
    nbformat.write(nb, path)
    print(f"  {path.name}: {code_cells} cells in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def code_cells(path: Path) -> int:
    return sum(cell.cell_type == "code" for cell in nbformat.read(path, as_version=4).cells)


def run_quietly(path: Path) -> None:
    run_lesson(path, progress=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workbook.run_lessons", description=__doc__.split("\n\n")[0])
    parser.add_argument("lessons", nargs="*", help="lesson notebooks (default: every lesson)")
    parser.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="lessons run at a time, each in its own process and workspace (default: 2, or 1 on one core)",
    )
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    paths = lesson_paths(args.lessons)
    if not paths:
        print(f"error: no lesson notebooks in {LESSONS_DIR}", file=sys.stderr)
        return 1
    if args.jobs <= 1 or len(paths) == 1:
        for index, path in enumerate(paths, 1):
            print(f"==> [{index}/{len(paths)}] {path.relative_to(REPO_ROOT)}", file=sys.stderr)
            run_lesson(path)
        return 0
    # Each lesson has its own kernel and scratch workspace, so two can run side by side; the
    # longest (most code cells) start first. A failed lesson leaves its file as it was.
    print(f"==> {len(paths)} lessons, {args.jobs} at a time", file=sys.stderr)
    failed = []
    with ProcessPoolExecutor(args.jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(run_quietly, path): path for path in sorted(paths, key=code_cells, reverse=True)}
        for future in as_completed(futures):
            if (error := future.exception()) is not None:
                failed.append(futures[future])
                print(f"error: {futures[future].name}: {type(error).__name__}: {error}", file=sys.stderr)
    if failed:
        print(
            f"error: {len(failed)} lessons failed and were left as they were: " + ", ".join(p.name for p in failed),
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
