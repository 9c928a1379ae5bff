"""Run lesson notebooks top to bottom and store their outputs: `make lessons`.

`python -m workbook.run_lessons [lessons/03-*.ipynb ...]` executes each notebook in a
fresh kernel of the project's environment, from its own folder, and writes it back in
place with its new outputs. Execution and the merging of stream chunks are nbconvert's
own preprocessors (`ExecutePreprocessor`, `CoalesceStreamsPreprocessor`); this module
adds only the choice of notebooks, a progress line per cell and the removal of the
kernel's exact Python version, so a rerun that changes nothing leaves the files
unchanged. The tests (nbval, strict) then check that the stored outputs are what a
run gives.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbconvert.preprocessors import CoalesceStreamsPreprocessor, ExecutePreprocessor

from workbook.workspace import REPO_ROOT

LESSONS_DIR = REPO_ROOT / "lessons"
KERNEL = "mlops-course"


def lesson_paths(args: list[str]) -> list[Path]:
    """The notebooks named in `args`, or every lesson."""
    if args:
        return [Path(a).resolve() for a in args]
    return sorted(LESSONS_DIR.glob("[0-9][0-9]-*.ipynb"))


def run_lesson(path: Path, timeout: int = 1200) -> None:
    """Execute one notebook in place, printing a line per cell as progress."""
    nb = nbformat.read(path, as_version=4)
    code_cells = sum(cell.cell_type == "code" for cell in nb.cells)
    done = 0

    def on_cell_executed(cell, cell_index, execute_reply):
        nonlocal done
        done += 1
        print(f"\r  {path.name}: cell {done}/{code_cells}", end="", file=sys.stderr, flush=True)

    execute = ExecutePreprocessor(
        kernel_name=KERNEL, timeout=timeout, record_timing=False, on_cell_executed=on_cell_executed
    )
    started = time.perf_counter()
    try:
        execute.preprocess(nb, {"metadata": {"path": str(path.parent)}})
    finally:
        print(file=sys.stderr)
    CoalesceStreamsPreprocessor().preprocess(nb, {})
    nb.metadata.get("language_info", {}).pop("version", None)  # differs by machine
    nbformat.write(nb, path)
    print(f"  {path.name}: {code_cells} cells in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    paths = lesson_paths(sys.argv[1:] if argv is None else argv)
    if not paths:
        print(f"error: no lesson notebooks in {LESSONS_DIR}", file=sys.stderr)
        return 1
    for index, path in enumerate(paths, 1):
        print(f"==> [{index}/{len(paths)}] {path.relative_to(REPO_ROOT)}", file=sys.stderr)
        run_lesson(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
