"""A lesson's stored outputs come from one clean top-to-bottom run: a pre-commit hook.

    python tools/check_notebook_outputs.py lessons/*.ipynb

A notebook passes with no outputs at all (never run), or with: execution counts 1, 2, ...,
n over its non-empty code cells; no error output outside a cell tagged `raises-exception`;
nothing that differs by machine or run (`notebook_hygiene`). Each problem is one line naming
the file and the cell (numbered from 1 over all cells, as JupyterLab's status bar); exit 1 if any.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path

from notebook_hygiene import machine_paths, scrub

RAISES_TAG = "raises-exception"


def check_notebook(path: Path) -> list[str]:
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        scrubbed = scrub(copy.deepcopy(notebook))
    except (OSError, ValueError, LookupError, TypeError, AttributeError) as error:
        return [f"{path}: not a readable notebook: {error}"]
    rerun = f"rerun it top to bottom: make lessons LESSONS={path}"
    problems = []
    if scrubbed != notebook:
        problems.append(f"{path}: its metadata holds the Python version or a run's times; {rerun}")
    code = [(number, cell) for number, cell in enumerate(notebook["cells"], 1) if cell.get("cell_type") == "code"]
    if not any(cell.get("outputs") or cell.get("execution_count") is not None for _, cell in code):
        return problems  # never run: no outputs to check
    problems += [
        f"{path}: cell {n}: an absolute path into a checkout, {p!r}; {rerun}" for n, p in machine_paths(notebook)
    ]
    expected = 1
    for number, cell in code:
        where = f"{path}: cell {number} (id {cell.get('id', '?')})"
        count = cell.get("execution_count")
        if not "".join(cell.get("source", "")).strip():
            if count is not None or cell.get("outputs"):
                problems.append(f"{where}: empty code cell has an execution count or outputs")
            continue  # a run skips empty cells: they take no number
        if count is None:
            problems.append(f"{where}: not executed (execution_count null) although the notebook has outputs; {rerun}")
        elif count != expected:
            problems.append(f"{where}: execution_count {count}, expected {expected}: not from one clean run; {rerun}")
        expected = (count if isinstance(count, int) else expected) + 1
        tags = cell.get("metadata", {}).get("tags", [])
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and RAISES_TAG not in tags:
                problems.append(
                    f"{where}: error output {output.get('ename', '?')}: {output.get('evalue', '')!s:.200}"
                    f" (tag the cell `{RAISES_TAG}` if the error is meant to be shown)"
                )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    problems = [problem for path in parser.parse_args(argv).notebooks for problem in check_notebook(path)]
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
