"""Data registry -> project -> CI runner -> pull-request comment, drawn from a lesson's run.

Lesson 7 builds a data registry, imports a file from it into a project, and then runs
the CML workflow's report on its own machine. This picture puts the four places in one
view, in reading order (a Z: left to right, then down and left to right again):

    registry ── dvc import / dvc update ──> project
                                              │ pull request
    CI runner (the workflow's job and steps) ──> comment (the report's sections)

Every label comes from the run: the registry's path, its tags and the imported file, the
project's `.dvc` file, the job and steps of the workflow file (`read_workflow`), and the
report's file name and headings.

    from workbook.pictures.flow import draw_flow, read_workflow
    draw_flow(registry="07-registry-cml/registry", imported="data/iris.csv",
              workflow=read_workflow(".github/workflows/cml.yaml"))
"""

from __future__ import annotations

import re
import shlex
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

# Sizes in inches: a monospace character and a line at FONT points, padding inside a box,
# the gap between the two columns (room for an arrow's label) and between the two rows.
FONT = 9.5
CHAR = FONT * 0.6 / 72
LINE = FONT * 1.45 / 72
PAD, COLUMN_GAP, ROW_GAP, WRAP = 0.16, 1.9, 0.75, 44
COLOURS = {  # fill and edge of each box
    "registry": ("#e5f5e0", "#31a354"),
    "project": ("#deebf7", "#3182bd"),
    "ci": ("#fee6ce", "#e6550d"),
    "comment": ("#efedf5", "#756bb1"),
}


@dataclass(frozen=True)
class Step:
    """One step of a workflow job: what a reader sees first (`name`, else `uses`) and what runs."""

    label: str
    runs: str = ""  # the `run:` command, or the action of a named `uses:` step


@dataclass(frozen=True)
class Workflow:
    """The parts of a GitHub Actions workflow file the picture shows."""

    path: str
    name: str
    job: str
    steps: tuple[Step, ...]

    @property
    def report(self) -> str | None:
        """The file a step posts with `cml comment create FILE` (the report), if one does."""
        for step in self.steps:
            words = shlex.split(step.runs) if step.runs else []
            if words[:3] == ["cml", "comment", "create"] and len(words) > 3:
                return words[-1]
        return None


def read_workflow(path: str | Path, job: str | None = None) -> Workflow:
    """The name, one job (`job`, or the only one) and its steps, from a workflow file."""
    path = Path(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    jobs = data.get("jobs") or {}
    if job is None:
        if len(jobs) != 1:
            raise ValueError(f"{path}: expected one job under `jobs:` (or name one), found {sorted(jobs) or 'none'}")
        (job,) = jobs
    if job not in jobs:
        raise ValueError(f"{path}: no job {job!r} under `jobs:` (the jobs are {sorted(jobs)})")
    steps = jobs[job].get("steps") or []
    if not steps:
        raise ValueError(f"{path}: job {job!r} has no `steps:`")
    return Workflow(str(path), str(data.get("name", path.stem)), job, tuple(_step(step) for step in steps))


def _step(step: dict) -> Step:
    """A step as the picture shows it: a script of several lines by its first line and a count."""
    lines = [line.strip() for line in str(step.get("run", "")).splitlines() if line.strip()]
    run = f"{lines[0]}  (+{len(lines) - 1} more)" if len(lines) > 1 else "".join(lines)
    if "name" in step:
        return Step(str(step["name"]), run or str(step.get("uses", "")))
    return Step(str(step.get("uses") or run), "")


def headings(markdown: str) -> list[str]:
    """The `## ` headings of a Markdown text (a report's sections), without the hashes."""
    return re.findall(r"^##\s+(.+?)\s*$", markdown, re.MULTILINE)


def _lines(title: str, body: Sequence[str]) -> list[tuple[str, str]]:
    """A box's text as (kind, line) pairs: its title, then the body wrapped to WRAP characters."""
    lines = [("title", title)]
    for text in body:
        indent = len(text) - len(text.lstrip())
        for number, piece in enumerate(textwrap.wrap(text.strip(), WRAP - indent) or [""]):
            lines.append(("body", " " * (indent + (2 if number else 0)) + piece))
    return lines


def _size(lines: list[tuple[str, str]]) -> tuple[float, float]:
    width = max(len(text) * (1.25 if kind == "title" else 1.0) for kind, text in lines) * CHAR + 2 * PAD
    return width, len(lines) * LINE + 2 * PAD


def draw_flow(
    registry: str,
    imported: str,
    workflow: Workflow,
    *,
    versions: Sequence[str] = (),
    project: str = "project",
    pin: str = "",
    report: str | None = None,
    sections: Sequence[str] = (),
) -> Figure:
    """A Figure of registry -> project -> CI runner -> pull-request comment.

    `registry` is the registry's path, `imported` the file a project imports from it, and
    `versions` its tags; `project` names the project and `pin` what its `.dvc` file pins
    (a commit id); `report` is the report's file name (default: the workflow's `--out`)
    and `sections` its headings.
    """
    report = report or workflow.report or "report.md"
    steps = []
    for number, step in enumerate(workflow.steps, 1):
        steps.append(f"{number}. {step.label}")
        if step.runs:
            steps.append(f"   {step.runs}")
    boxes = {
        "registry": _lines(
            "Data registry (git + DVC)",
            [registry, f"  {imported}", *([f"  tags: {', '.join(versions)}"] if versions else [])],
        ),
        "project": _lines(
            f"Project: {project}",
            [f"{imported}.dvc", *([f"  rev_lock: {pin}"] if pin else []), "  (git keeps the pointer, DVC the data)"],
        ),
        "ci": _lines(f"CI runner: {Path(workflow.path).name}, job {workflow.job}", steps),
        "comment": _lines("Pull-request comment", [report, *(f"  {section}" for section in sections)]),
    }
    sizes = {name: _size(lines) for name, lines in boxes.items()}
    left = max(sizes["registry"][0], sizes["ci"][0])
    right = max(sizes["project"][0], sizes["comment"][0])
    top = max(sizes["registry"][1], sizes["project"][1])
    bottom = max(sizes["ci"][1], sizes["comment"][1])
    width, height = left + COLUMN_GAP + right + 0.2, top + ROW_GAP + bottom + 0.2
    corners = {  # upper-left corner of each box, in inches from the figure's lower left
        "registry": (0.1, height - 0.1),
        "project": (0.1 + left + COLUMN_GAP, height - 0.1),
        "ci": (0.1, height - 0.1 - top - ROW_GAP),
        "comment": (0.1 + left + COLUMN_GAP, height - 0.1 - top - ROW_GAP),
    }

    figure = Figure(figsize=(width, height))
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(0, width)
    axes.set_ylim(0, height)
    axes.set_axis_off()
    for name, lines in boxes.items():
        (x, y), (w, h) = corners[name], sizes[name]
        fill, edge = COLOURS[name]
        patch = FancyBboxPatch(
            (x, y - h), w, h, boxstyle="round,pad=0,rounding_size=0.08", facecolor=fill, edgecolor=edge, linewidth=1.4
        )
        patch.set_gid(f"box:{name}")
        axes.add_patch(patch)
        for number, (kind, text) in enumerate(lines):
            title = kind == "title"
            axes.text(
                x + PAD, y - PAD - (number + 0.5) * LINE, text, va="center", fontsize=FONT + title,
                weight="bold" if title else "normal", family="sans-serif" if title else "monospace",
            )  # fmt: skip

    def middle_of(name: str, side: str, other: str) -> tuple[float, float]:
        """The middle of a box's side; left and right at the height of the shorter box's middle."""
        (x, y), (w, h) = corners[name], sizes[name]
        level = y - min(h, sizes[other][1]) / 2
        return {"right": (x + w, level), "left": (x, level), "bottom": (x + w / 2, y - h), "top": (x + w / 2, y)}[side]

    arrows = [
        ("registry", "right", "project", "left", "dvc import\ndvc update"),
        ("project", "bottom", "ci", "top", "git push,\npull request"),
        ("ci", "right", "comment", "left", "cml comment\ncreate"),
    ]
    for source, out, target, into, label in arrows:
        start, end = middle_of(source, out, target), middle_of(target, into, source)
        if out == "bottom":  # the diagonal of the Z: from the project down to the runner's top
            end = (corners[target][0] + left * 0.75, end[1])
        arrow = FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=16, color="#333333", linewidth=1.3)
        arrow.set_gid(f"arrow:{source}->{target}")
        axes.add_patch(arrow)
        across = out != "bottom"  # a label above a level arrow, on the diagonal one
        x, y = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2 + (0.05 if across else 0)
        axes.text(
            x, y, label, ha="center", va="bottom" if across else "center",
            fontsize=FONT, family="monospace", backgroundcolor="white",
        )  # fmt: skip
    return figure
