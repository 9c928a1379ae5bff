"""What a learner meets in a lesson, measured: `python -m workbook.lesson_measures [lessons...]`.

The study time at a reader's pace, and in the code cells a learner sees (not stored
collapsed): assertion lines, lines of the course's machinery, and DVC commands typed as in
a terminal (a `%%bash` cell or a `!` line) against those wrapped in Python.
tests/test_lesson_structure.py holds every lesson to these.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

HIDDEN_TAGS = ("setup", "check", "exercise-check", "figure")
EXERCISE = re.compile(r"^(#{2,4}) Exercise\b(?!s)", re.MULTILINE)  # the group: its heading level
MACHINERY = re.compile(r"\bworkbook\b|\bsubprocess\b|\bos\.chdir\b")
DVC_COMMAND = re.compile(r"(?<![\w./-])dvc\s+[a-z]")  # `dvc repro`, not `.dvc/config` or `dvc.yaml`


def written_next_to_its_key(key: str, value: object) -> re.Pattern:
    """A value written next to its key as code or YAML does (`cv: 3`, `"cv": 3`, `cv=3`):
    how a lesson shows a default of params.yaml (the last part of a dotted key)."""
    name = re.escape(key.rsplit(".", 1)[-1])
    return re.compile(rf"""\b{name}["']?\s*[:=]\s*["']?{re.escape(str(value))}(?![\w.])""")


def hidden(cell: dict) -> bool:
    return bool((cell.get("metadata", {}).get("jupyter") or {}).get("source_hidden"))


def visible_code(cells: list[dict]) -> list[dict]:
    return [c for c in cells if c["cell_type"] == "code" and not hidden(c)]


def is_shell(cell: dict) -> bool:
    return cell["source"].lstrip().startswith(("%%bash", "%%sh"))


def code_lines(cell: dict) -> list[str]:
    """The lines of a cell that hold code (not blank, not a comment, not a cell magic)."""
    return [
        line
        for line in cell["source"].splitlines()
        if line.strip() and not line.lstrip().startswith("#") and not line.startswith("%%")
    ]


def output_lines(cell: dict) -> int:
    lines = 0
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        text = output["text"] if output.get("output_type") == "stream" else data.get("text/plain")
        if any(mime.startswith("image/") for mime in data):
            lines += 10
        elif text is not None:
            lines += "".join(text).rstrip("\n").count("\n") + 1
    return lines


def study_minutes(cells: list[dict]) -> float:
    """Minutes a reader needs: text at 100 words a minute, each visible line of code read (9 s) and
    each cell run (30 s), each output line read (3 s; a picture is 10 lines), 10 minutes an exercise."""
    words = sum(len(c["source"].split()) for c in cells if c["cell_type"] == "markdown")
    seen = visible_code(cells)
    exercises = sum(len(EXERCISE.findall(c["source"])) for c in cells if c["cell_type"] == "markdown")
    return (
        words / 100
        + 0.15 * sum(len(code_lines(c)) for c in seen)
        + 0.05 * sum(output_lines(c) for c in seen)
        + 0.5 * len(seen)
        + 10 * exercises
    )


def visible_counts(cells: list[dict]) -> dict[str, int]:
    """Assertions, machinery and DVC commands (typed, wrapped) in the cells a learner sees."""
    counts = {"asserts": 0, "machinery": 0, "dvc_typed": 0, "dvc_wrapped": 0}
    for cell in visible_code(cells):
        for line in code_lines(cell):
            counts["asserts"] += line.strip().startswith("assert")
            counts["machinery"] += bool(MACHINERY.search(line))
            typed = is_shell(cell) or line.strip().startswith("!")
            counts["dvc_typed" if typed else "dvc_wrapped"] += len(DVC_COMMAND.findall(line))
    return counts


def main(argv: list[str] | None = None) -> int:
    paths = [Path(a) for a in (argv or [])] or sorted(Path("lessons").glob("[0-9][0-9]-*.ipynb"))
    print("| lesson | study minutes | visible asserts | machinery lines | DVC typed | DVC wrapped |")
    print("|---|---:|---:|---:|---:|---:|")
    for path in paths:
        cells = nbformat.read(path, as_version=4).cells
        print(
            "|", " | ".join([path.stem, f"{study_minutes(cells):.0f}", *map(str, visible_counts(cells).values())]), "|"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
