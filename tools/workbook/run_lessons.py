"""Run lesson notebooks top to bottom and store their outputs: `make lessons`.

`python -m workbook.run_lessons [-j N] [lessons/03-*.ipynb ...]` runs each notebook with
nbconvert in a fresh kernel, from its own folder, two at a time (each has its own kernel and
workspace), the longest first, and writes it back only when every cell ran. What is stored is
`notebook_hygiene`'s: no Python version, this checkout's path as `/path/to/workbook/...`, a
cell's stored outputs kept where the new ones differ only in what the lesson checks (nbval,
tests/nbval_sanitize.cfg) treat as volatile: a rerun that changes nothing changes no file.

Templates in a cell's metadata (Jinja2, `workbook.render`) keep a lesson true: a code cell's
`workbook.params_template` is rendered from params.yaml before it runs (`{{ params.train.cv }}`),
a markdown cell's `workbook.template` in the lesson's kernel after its last cell, with the
kernel's names (Jupyter's `user_expressions`: no output shows), so "F1 went from {{ old_f1 }}
to {{ new_f1 }}" cannot go stale. A field that fails stops the run, naming the lesson and cell.
"""

from __future__ import annotations

import argparse
import ast
import functools
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


TEMPLATE_KEYS = {"markdown": "template", "code": "params_template"}  # by the kind of cell


def template_of(cell, kind: str) -> str | None:
    """The template a `kind` cell is rendered from (metadata `workbook.<TEMPLATE_KEYS[kind]>`), if any."""
    if cell.get("cell_type") != kind:
        return None
    return cell.get("metadata", {}).get("workbook", {}).get(TEMPLATE_KEYS[kind])


def render_params_template(template: str, params_file: Path = PARAMS_FILE) -> str:
    """A code cell's source from its template: `{{ params.train.cv }}` is params.yaml's value.
    A missing key fails, naming it."""
    params = yaml.safe_load(params_file.read_text(encoding="utf-8"))
    return render(template, params_file.name, params=params)


class LessonExecutor(ExecutePreprocessor):
    """nbconvert's ExecutePreprocessor that, once the last cell has run and while the kernel
    is still there, renders the templated markdown cells."""

    def preprocess_cell(self, cell, resources, index):
        if (params_template := template_of(cell, "code")) is not None:
            cell.source = render_params_template(params_template)
        if template_of(cell, "markdown") is None:
            cell, resources = super().preprocess_cell(cell, resources, index)
        if index == len(self.nb.cells) - 1:
            for number, templated in enumerate(self.nb.cells, 1):
                if (template := template_of(templated, "markdown")) is not None:
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
    hygiene.keep_unchanged_outputs(stored, nb, hygiene.volatile_patterns(SANITIZE))
    nbformat.write(nb, path)
    print(f"  {path.name}: {code_cells} cells in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def code_cells(path: Path) -> int:
    return sum(cell.cell_type == "code" for cell in nbformat.read(path, as_version=4).cells)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workbook.run_lessons", description=__doc__.split("\n\n")[0])
    parser.add_argument("lessons", nargs="*", help="lesson notebooks (default: every lesson)")
    jobs = min(2, os.cpu_count() or 1)
    parser.add_argument("-j", "--jobs", type=int, default=jobs, help="lessons at a time (default: 2, 1 on one core)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    paths = [Path(a).resolve() for a in args.lessons] or sorted(LESSONS_DIR.glob("[0-9][0-9]-*.ipynb"))
    if not paths:
        print(f"error: no lesson notebooks in {LESSONS_DIR}", file=sys.stderr)
        return 1
    if args.jobs <= 1 or len(paths) == 1:
        for index, path in enumerate(paths, 1):
            print(f"==> [{index}/{len(paths)}] {path.relative_to(REPO_ROOT)}", file=sys.stderr)
            run_lesson(path)
        return 0
    print(f"==> {len(paths)} lessons, {args.jobs} at a time", file=sys.stderr)
    failed = []
    with ProcessPoolExecutor(args.jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        quietly = functools.partial(run_lesson, progress=False)
        futures = {pool.submit(quietly, path): path for path in sorted(paths, key=code_cells, reverse=True)}
        for future in as_completed(futures):
            if (error := future.exception()) is not None:
                failed.append(futures[future])
                print(f"error: {futures[future].name}: {type(error).__name__}: {error}", file=sys.stderr)
    if failed:
        names = ", ".join(path.name for path in failed)
        print(f"error: {len(failed)} lessons failed and were left as they were: {names}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
