"""Run lesson notebooks top to bottom and store their outputs: `make lessons`.

`python -m iris_pipeline.lessons [lessons/03-*.ipynb ...]` executes each notebook
in a fresh kernel of the project's environment, from its own folder, and writes it
back in place with its new outputs. No timestamps are recorded, so a rerun that
changes nothing leaves the files unchanged. The tests (nbval) then check that the
stored outputs are what a run gives.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from iris_pipeline.workspace import REPO_ROOT

LESSONS_DIR = REPO_ROOT / "lessons"
KERNEL = "mlops-course"


def lesson_paths(args: list[str]) -> list[Path]:
    """The notebooks named in `args`, or every lesson."""
    if args:
        return [Path(a).resolve() for a in args]
    return sorted(LESSONS_DIR.glob("[0-9][0-9]-*.ipynb"))


def merge_streams(nb) -> None:
    """Join consecutive stream outputs of one name, in place.

    `%%bash` output arrives in arbitrary chunks; merged, a rerun that prints the same
    text stores the same outputs (nbval merges them too before comparing).
    """
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        merged = []
        for output in cell.outputs:
            if (
                merged
                and output.output_type == "stream"
                and merged[-1].output_type == "stream"
                and merged[-1].name == output.name
            ):
                merged[-1].text += output.text
            else:
                merged.append(output)
        cell.outputs = merged


def run_lesson(path: Path, timeout: int = 1200) -> None:
    """Execute one notebook in place, printing a line per cell as progress."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    code_cells = sum(cell.cell_type == "code" for cell in nb.cells)
    client = NotebookClient(
        nb,
        kernel_name=KERNEL,
        timeout=timeout,
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    done = 0

    def on_cell_executed(cell, cell_index, execute_reply):
        nonlocal done
        done += 1
        print(f"\r  {path.name}: cell {done}/{code_cells}", end="", file=sys.stderr, flush=True)

    client.on_cell_executed = on_cell_executed
    started = time.perf_counter()
    try:
        client.execute()
    finally:
        print(file=sys.stderr)
    nb.metadata.get("language_info", {}).pop("version", None)
    merge_streams(nb)
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
