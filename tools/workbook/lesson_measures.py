"""What a learner meets in a lesson, measured: `python -m workbook.lesson_measures [lessons...]`.

- the study time at a reader's pace: technical text read at 100 words a minute, every
  visible line of code read (9 s a line) and run (30 s a cell), every output line read
  (3 s; a picture counts as 10 lines), 10 minutes for each exercise;
- in the code cells a learner sees (not stored collapsed): assertion lines, lines of the
  course's machinery (`workbook`, `subprocess`, `os.chdir`), and DVC commands typed as in a
  terminal (a `%%bash` cell or a `!` line) against those wrapped in Python.

tests/test_lesson_structure.py holds every lesson to these; the closing notes of issues
quote this command's table.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

HIDDEN_TAGS = ("setup", "check", "exercise-check", "figure")
EXERCISE = re.compile(r"^#{2,4} Exercise\b(?!s)", re.MULTILINE)
MACHINERY = re.compile(r"\bworkbook\b|\bsubprocess\b|\bos\.chdir\b")
DVC_COMMAND = re.compile(r"(?<![\w./-])dvc\s+[a-z]")  # `dvc repro`, not `.dvc/config` or `dvc.yaml`


def written_next_to_its_key(key: str, value: object) -> re.Pattern:
    """A value written next to its key as code or YAML does (`cv: 3`, `"cv": 3`, `cv=3`):
    how a lesson shows a default of params.yaml (the last part of a dotted key)."""
    name = re.escape(key.rsplit(".", 1)[-1])
    return re.compile(rf"""\b{name}["']?\s*[:=]\s*["']?{re.escape(str(value))}(?![\w.])""")


def source(cell: dict) -> str:
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else text


def hidden(cell: dict) -> bool:
    return bool((cell.get("metadata", {}).get("jupyter") or {}).get("source_hidden"))


def visible_code(cells: list[dict]) -> list[dict]:
    return [c for c in cells if c["cell_type"] == "code" and not hidden(c)]


def is_shell(cell: dict) -> bool:
    return source(cell).lstrip().startswith(("%%bash", "%%sh"))


def code_lines(cell: dict) -> list[str]:
    """The lines of a cell that hold code (not blank, not a comment, not a cell magic)."""
    return [
        line
        for line in source(cell).splitlines()
        if line.strip() and not line.lstrip().startswith("#") and not line.startswith("%%")
    ]


def output_lines(cell: dict) -> int:
    lines = 0
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        if any(mime.startswith("image/") for mime in data):
            lines += 10
        elif output.get("output_type") == "stream":
            lines += "".join(output["text"]).rstrip("\n").count("\n") + 1
        elif "text/plain" in data:
            lines += "".join(data["text/plain"]).rstrip("\n").count("\n") + 1
    return lines


def study_minutes(cells: list[dict]) -> float:
    """Minutes a reader needs for a lesson (see the module's docstring)."""
    words = sum(len(source(c).split()) for c in cells if c["cell_type"] == "markdown")
    seen = visible_code(cells)
    exercises = sum(len(EXERCISE.findall(source(c))) for c in cells if c["cell_type"] == "markdown")
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
        shell = is_shell(cell)
        for line in code_lines(cell):
            stripped = line.strip()
            counts["asserts"] += stripped.startswith("assert")
            counts["machinery"] += bool(MACHINERY.search(line))
            commands = len(DVC_COMMAND.findall(line))
            typed = shell or stripped.startswith("!")
            counts["dvc_typed" if typed else "dvc_wrapped"] += commands
    return counts


def main(argv: list[str] | None = None) -> int:
    paths = [Path(a) for a in (argv or [])] or sorted(Path("lessons").glob("[0-9][0-9]-*.ipynb"))
    print("| lesson | study minutes | visible asserts | machinery lines | DVC typed | DVC wrapped |")
    print("|---|---:|---:|---:|---:|---:|")
    for path in paths:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        c = visible_counts(cells)
        print(
            f"| {path.stem} | {study_minutes(cells):.0f} | {c['asserts']} | {c['machinery']} "
            f"| {c['dvc_typed']} | {c['dvc_wrapped']} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
