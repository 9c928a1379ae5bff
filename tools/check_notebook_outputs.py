"""Repository hygiene checks run by pre-commit (.pre-commit-config.yaml); no downloads.

    python tools/check_notebook_outputs.py notebooks lessons/*.ipynb
    python tools/check_notebook_outputs.py yaml params.yaml dvc.yaml dvc.lock
    python tools/check_notebook_outputs.py json reports/metrics.json
    python tools/check_notebook_outputs.py large-files --max-kb 1024 FILE...

`notebooks`: a lesson's stored outputs must come from one clean top-to-bottom run
(what `make lessons` does). Either the notebook has no outputs at all (never run), or:
- its non-empty code cells have execution counts 1, 2, ..., n in order (a cell run
  twice, out of order, or skipped breaks the sequence);
- no error output, except in a cell tagged `raises-exception` (a lesson may show an
  error on purpose; nbval and the lesson runner let such a cell fail).
Cells are numbered as JupyterLab's status bar does ("Cell 4/25"): from 1, all cells.

`yaml` / `json`: the files parse (YAML: every document; JSON: no duplicate keys).
`large-files`: no file above --max-kb (default 1024): data and models belong in DVC.

Each problem is printed as one line naming the file (and the cell); exit status 1 if any.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

RAISES_TAG = "raises-exception"
DEFAULT_MAX_KB = 1024


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def check_notebook(path: Path) -> list[str]:
    """Problems with `path`'s stored outputs; empty if they come from one clean run."""
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        return [f"{path}: not a readable notebook: {error}"]
    cells = notebook.get("cells", [])
    code = [(number, cell) for number, cell in enumerate(cells, 1) if cell.get("cell_type") == "code"]
    if not any(cell.get("outputs") or cell.get("execution_count") is not None for _, cell in code):
        return []  # never run: nothing stored, nothing to check

    problems = []
    expected = 1
    for number, cell in code:
        where = f"{path}: cell {number} (id {cell.get('id', '?')})"
        count = cell.get("execution_count")
        if not _source(cell).strip():
            if count is not None or cell.get("outputs"):
                problems.append(f"{where}: empty code cell has an execution count or outputs")
            continue  # a run skips empty cells: they take no number
        if count is None:
            problems.append(
                f"{where}: not executed (execution_count null) although the notebook has outputs; "
                "rerun it top to bottom: make lessons LESSONS=" + str(path)
            )
        elif count != expected:
            problems.append(
                f"{where}: execution_count {count}, expected {expected}: outputs are not from one "
                "clean top-to-bottom run; rerun: make lessons LESSONS=" + str(path)
            )
        expected = (count if isinstance(count, int) else expected) + 1
        tags = cell.get("metadata", {}).get("tags", [])
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and RAISES_TAG not in tags:
                problems.append(
                    f"{where}: error output {output.get('ename', '?')}: {output.get('evalue', '')!s:.200}"
                    f" (tag the cell `{RAISES_TAG}` if the error is meant to be shown)"
                )
    return problems


def check_yaml(path: Path) -> list[str]:
    import yaml

    try:
        with path.open(encoding="utf-8") as stream:
            for _ in yaml.safe_load_all(stream):
                pass
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        return [f"{path}: invalid YAML: {error}"]
    return []


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    keys = [key for key, _ in pairs]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise ValueError(f"duplicate keys: {', '.join(duplicates)}")
    return dict(pairs)


def check_json(path: Path) -> list[str]:
    try:
        json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_no_duplicate_keys)
    except (OSError, UnicodeDecodeError, ValueError) as error:
        return [f"{path}: invalid JSON: {error}"]
    return []


def check_size(path: Path, max_kb: int = DEFAULT_MAX_KB) -> list[str]:
    size_kb = path.stat().st_size / 1024
    if size_kb > max_kb:
        return [f"{path}: {size_kb:.0f} KB, more than {max_kb} KB: track large files with DVC, not git"]
    return []


def run(check: Callable[[Path], list[str]], paths: Iterable[str]) -> int:
    problems = [problem for name in paths for problem in check(Path(name))]
    for problem in problems:
        print(problem)
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text in [
        ("notebooks", "stored outputs come from one clean top-to-bottom run"),
        ("yaml", "files parse as YAML"),
        ("json", "files parse as JSON, no duplicate keys"),
        ("large-files", "no file above --max-kb"),
    ]:
        command = sub.add_parser(name, help=help_text)
        command.add_argument("files", nargs="*")
        if name == "large-files":
            command.add_argument("--max-kb", type=int, default=DEFAULT_MAX_KB)
    args = parser.parse_args(argv)
    checks: dict[str, Callable[[Path], list[str]]] = {
        "notebooks": check_notebook,
        "yaml": check_yaml,
        "json": check_json,
        "large-files": lambda path: check_size(path, getattr(args, "max_kb", DEFAULT_MAX_KB)),
    }
    return run(checks[args.command], args.files)


if __name__ == "__main__":
    sys.exit(main())
