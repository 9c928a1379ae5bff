"""Pictures of what no command prints, drawn offline with matplotlib from a lesson's run: a
Figure a lesson's figure cell shows as a PNG (the same in JupyterLab and GitHub's view).
`storage` (lesson 4) and `flow` (lesson 7) are made of the boxes and arrows drawn here, in
inches from the lower-left corner; `experiments` reads `dvc exp show --json` for lesson 6.
"""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

FONT = 8.8  # the boxes' monospace text, in points
LINE = FONT * 1.45 / 72  # one line of it, in inches
CHAR = FONT * 0.6 / 72  # one character of it
TOP = 0.62  # from a box's top to its first line of text, below the title
MONO = dict(family="monospace", color="#333333")


def canvas(width: float, height: float) -> tuple[Figure, Axes]:
    """A Figure of `width` x `height` inches whose axes count in inches, without frame or ticks."""
    figure = Figure(figsize=(width, height))
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set(xlim=(0, width), ylim=(0, height))
    axes.set_axis_off()
    return figure, axes


def box(axes: Axes, name: str, corner, size, title: str, lines, fill: str, edge: str = "#444444") -> None:
    """A rounded box (gid `box:<name>`, its texts' `text:<name>`) at lower-left `corner` (x, y)
    of `size` (w, h): a bold title over monospace lines."""
    (x, y), (width, height) = corner, size
    patch = FancyBboxPatch(corner, width, height, boxstyle="round,pad=0.06", facecolor=fill, edgecolor=edge)
    axes.add_patch(patch).set_gid(f"box:{name}")
    axes.text(x + 0.15, y + height - 0.22, title, fontsize=12, weight="bold", va="top", gid=f"text:{name}")
    text = "\n".join(lines)
    axes.text(x + 0.12, y + height - TOP, text, fontsize=FONT, va="top", linespacing=1.45, gid=f"text:{name}", **MONO)


def arrow(axes: Axes, name: str, start, end, label: str, at, ha: str = "center", rad: float = 0.0) -> None:
    """An arrow from `start` to `end` (gid `arrow:<name>`), its label (the commands) at `at`."""
    style = dict(arrowstyle="-|>", mutation_scale=16, color="#333333", linewidth=1.4)
    patch = FancyArrowPatch(start, end, connectionstyle=f"arc3,rad={rad}", **style)
    axes.add_patch(patch).set_gid(f"arrow:{name}")
    axes.text(*at, label, fontsize=9.5, ha=ha, va="center", **MONO)
