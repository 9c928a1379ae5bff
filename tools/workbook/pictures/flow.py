"""Lesson 7's picture: data registry -> project -> CI runner -> pull-request comment.

The four places of the lesson in reading order (a Z: left to right, then down and left to
right again), every label from the lesson's run: the registry's path and tags, the imported
file and the commit its `.dvc` file pins, the workflow's job and steps, the report's sections
(`headings`, which lesson 7's checks use too).
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from matplotlib.figure import Figure

from workbook.pictures import CHAR, LINE, TOP, arrow, box, canvas

COLOURS = {  # fill and edge of each box
    "registry": ("#e5f5e0", "#31a354"),
    "project": ("#deebf7", "#3182bd"),
    "ci": ("#fee6ce", "#e6550d"),
    "comment": ("#efedf5", "#756bb1"),
}
SPLIT = "git keeps the pointer, DVC the data"
GAP, ROW_GAP = 1.9, 0.8  # inches between the columns (room for an arrow's label) and the rows


def headings(markdown: str) -> list[str]:
    """The `## ` headings of a Markdown text (a report's sections), without the hashes."""
    return re.findall(r"^##\s+(.+?)\s*$", markdown, re.MULTILINE)


def steps(workflow: Path) -> tuple[str, list[str]]:
    """The one job of a workflow file and its steps: each one's name (or action) and first command."""
    jobs = (yaml.safe_load(workflow.read_text(encoding="utf-8")) or {}).get("jobs") or {}
    if len(jobs) != 1:
        raise ValueError(f"{workflow}: expected one job under `jobs:`, found {sorted(jobs) or 'none'}")
    ((job, spec),) = jobs.items()
    lines = []
    for number, step in enumerate(spec.get("steps") or [], 1):
        run = str(step.get("run", "")).strip()
        command = run.splitlines()[0] + (" …" if "\n" in run else "") if run else ""
        lines.append(f"{number}. {step.get('name') or step.get('uses') or command}")
        if command and "name" in step:
            lines.append(f"   {command}")
    return job, lines


def draw_flow(
    registry: str, tags: list[str], imported: str, project: str, pin: str, workflow: str | Path, report: str | Path
) -> Figure:
    """The Z of registry, project, CI runner and comment; `report` is the Markdown file the comment posts."""
    workflow, report = Path(workflow), Path(report)
    job, ci = steps(workflow)
    boxes = {  # name: (title, lines), in the Z's order
        "registry": ("Data registry (git + DVC)", [registry, f"  {imported}", f"  tags: {', '.join(tags)}"]),
        "project": (f"Project: {project}", [f"{imported}.dvc", f"  rev_lock: {pin}", f"  ({SPLIT})"]),
        "ci": (f"CI runner: {workflow.name}, job {job}", ci),
        "comment": ("Pull-request comment", [report.name, *(f"  {h}" for h in headings(report.read_text()))]),
    }
    size = {
        name: (max(len(title) * 1.5, *map(len, lines)) * CHAR + 0.3, TOP + len(lines) * LINE + 0.1)
        for name, (title, lines) in boxes.items()
    }
    left, right = (max(size[a][0], size[b][0]) for a, b in (("registry", "ci"), ("project", "comment")))
    low = max(size["ci"][1], size["comment"][1]) + 0.15  # the lower row's top
    top = low + ROW_GAP + max(size["registry"][1], size["project"][1])
    x = {"registry": 0.15, "ci": 0.15, "project": 0.15 + left + GAP, "comment": 0.15 + left + GAP}
    figure, axes = canvas(x["project"] + right + 0.15, top + 0.15)
    for name, (title, lines) in boxes.items():
        y = top - size[name][1] if name in ("registry", "project") else low - size[name][1]
        box(axes, name, (x[name], y), size[name], title, lines, *COLOURS[name])

    level = top - 0.4  # the arrows along a row, at the height of the boxes' titles
    arrow(axes, "registry->project", (x["registry"] + size["registry"][0] + 0.1, level), (x["project"] - 0.1, level),
          "dvc import\ndvc update", (x["project"] - GAP / 2, level + 0.3))  # fmt: skip
    bottom = top - size["project"][1] - 0.1
    arrow(axes, "project->ci", (x["project"] + right / 3, bottom), (x["ci"] + left * 0.75, low + 0.1),
          "git push,\npull request", (x["project"] + right / 3 + 0.1, (bottom + low) / 2), "left")  # fmt: skip
    level = low - 0.4
    arrow(axes, "ci->comment", (x["ci"] + size["ci"][0] + 0.1, level), (x["comment"] - 0.1, level),
          "cml comment\ncreate", ((x["ci"] + size["ci"][0] + x["comment"]) / 2, level + 0.3))  # fmt: skip
    return figure
