"""A pipeline's stages and their dependencies, drawn from the text of `dvc dag --dot`.

`draw_dag(dot)` reads what `dvc dag --dot` prints:

    strict digraph {
    "data_split";
    "train";
    "data_split" -> "train";
    }

and draws one box per stage, in layers from top to bottom: a stage sits one layer below
the lowest stage it depends on, so each arrow points down, from a stage to one that reads
its outputs. An arrow that skips layers bends around the boxes in between. Plain
matplotlib: no graphviz, no network.
"""

from __future__ import annotations

import re

from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path as DrawPath

_OPEN = re.compile(r"^(strict\s+)?digraph(\s+(\w+|\"[^\"]*\"))?\s*\{$")
_NAME = r"(?:\"((?:[^\"\\]|\\.)*)\"|([\w.\-/]+))"
_NODE = re.compile(rf"^{_NAME}\s*(\[[^\]]*\])?\s*;?$")
_EDGE = re.compile(rf"^{_NAME}\s*->\s*{_NAME}\s*(\[[^\]]*\])?\s*;?$")
_EXPECTED = 'the text of `dvc dag --dot`: "strict digraph {", then lines `"stage";` or `"a" -> "b";`, then "}"'

# Sizes in inches at the default font size; a wide graph is scaled down to MAX_WIDTH.
ROW, GAP, CHAR, PAD, FONT, MAX_WIDTH = 0.85, 0.35, 0.105, 0.45, 11, 9.0


def parse_dot(dot: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The nodes (in the order the text gives them) and edges of a `dvc dag --dot` text."""
    lines = [line.strip() for line in dot.strip().splitlines() if line.strip()]
    if len(lines) < 2 or not _OPEN.match(lines[0]) or lines[-1] != "}":
        first = lines[0] if lines else "(nothing)"
        raise ValueError(f"expected {_EXPECTED}; the text starts with {first!r}")
    nodes: list[str] = []
    edges: list[tuple[str, str]] = []

    def add(name: str) -> str:
        if name not in nodes:
            nodes.append(name)
        return name

    for number, line in enumerate(lines[1:-1], 2):
        if edge := _EDGE.match(line):
            source, target = edge.group(1) or edge.group(2), edge.group(3) or edge.group(4)
            if (add(source), add(target)) not in edges:
                edges.append((source, target))
        elif node := _NODE.match(line):
            add(node.group(1) or node.group(2))
        else:
            raise ValueError(f"line {number} of the dot text, {line!r}: expected {_EXPECTED}")
    if not nodes:
        raise ValueError(f"expected {_EXPECTED}; the graph has no stage")
    return nodes, edges


def layers(nodes: list[str], edges: list[tuple[str, str]]) -> list[list[str]]:
    """Stages in layers: each one a layer below the lowest of the stages it depends on."""
    parents = {node: [source for source, target in edges if target == node] for node in nodes}
    depth: dict[str, int] = {}

    def depth_of(node: str, seen: tuple[str, ...] = ()) -> int:
        if node in seen:
            raise ValueError(f"expected a graph without cycles; {' -> '.join((*seen, node))} is a cycle")
        if node not in depth:
            depth[node] = 1 + max((depth_of(p, (*seen, node)) for p in parents[node]), default=-1)
        return depth[node]

    for node in nodes:
        depth_of(node)
    return [[node for node in nodes if depth[node] == level] for level in range(max(depth.values()) + 1)]


def _placed(nodes, edges):
    """Rows of node names (None: a bend of an arrow that skips a row) and each edge's route."""
    rows = layers(nodes, edges)
    row_of = {node: number for number, row in enumerate(rows) for node in row}
    rows = [list(row) for row in rows]
    routes = {}
    for source, target in edges:
        route = [source]
        for number in range(row_of[source] + 1, row_of[target]):
            bend = (source, target, number)
            rows[number].append(bend)
            route.append(bend)
        routes[(source, target)] = [*route, target]
    # Order each row by where its parents sit in the row above (fewer crossings), twice.
    for _ in range(2):
        for number in range(1, len(rows)):
            above = {item: index for index, item in enumerate(rows[number - 1])}

            def centre(item, above=above):
                parents = [r[r.index(item) - 1] for r in routes.values() if item in r[1:]]
                places = [above[p] for p in parents if p in above]
                return sum(places) / len(places) if places else len(above)

            rows[number].sort(key=centre)
    return rows, routes


def _smooth(points: list[tuple[float, float]]) -> DrawPath:
    """A curve through `points` (top to bottom) that leaves and enters each one vertically."""
    vertices, codes = [points[0]], [DrawPath.MOVETO]
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        middle = (y0 + y1) / 2
        vertices += [(x0, middle), (x1, middle), (x1, y1)]
        codes += [DrawPath.CURVE4] * 3
    return DrawPath(vertices, codes)


def draw_dag(dot: str, title: str | None = None) -> Figure:
    """A Figure of the pipeline in `dot` (what `dvc dag --dot` prints), stages top to bottom."""
    nodes, edges = parse_dot(dot)
    rows, routes = _placed(nodes, edges)
    box = max(len(name) for name in nodes) * CHAR + PAD  # one width for all boxes
    widths = [sum(box if isinstance(item, str) else GAP for item in row) + GAP * (len(row) - 1) for row in rows]
    width = max(max(widths) + 4 * GAP, 3.0)
    scale = min(1.0, MAX_WIDTH / width)
    height = len(rows) * ROW + (0.4 if title else 0.1)
    figure = Figure(figsize=(width * scale, height * scale))
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(-width / 2, width / 2)
    axes.set_ylim(-height + (0.3 if title else 0.05), 0.05 + (0.3 if title else 0))
    axes.set_axis_off()
    if title:
        axes.text(0, 0.2, title, ha="center", va="center", fontsize=FONT * scale + 1, weight="bold")

    where = {}
    for number, (row, row_width) in enumerate(zip(rows, widths, strict=True)):
        x, y = -row_width / 2, -(number + 0.5) * ROW
        for item in row:
            size = box if isinstance(item, str) else GAP
            where[item] = (x + size / 2, y)
            x += size + GAP
    half_height = 0.2
    for name in nodes:
        x, y = where[name]
        patch = FancyBboxPatch(
            (x - box / 2, y - half_height), box, 2 * half_height,
            boxstyle="round,pad=0.02,rounding_size=0.08", facecolor="#deebf7", edgecolor="#3a6d99", linewidth=1.2,
        )  # fmt: skip
        patch.set_gid(f"stage:{name}")
        axes.add_patch(patch)
        axes.text(x, y, name, ha="center", va="center", fontsize=FONT * scale, family="monospace")
    for (source, target), route in routes.items():
        points = [where[item] for item in route]
        points[0] = (points[0][0], points[0][1] - half_height - 0.03)
        points[-1] = (points[-1][0], points[-1][1] + half_height + 0.03)
        arrow = FancyArrowPatch(
            path=_smooth(points), arrowstyle="-|>", mutation_scale=14 * scale, color="#333333", linewidth=1.1
        )
        arrow.set_gid(f"edge:{source}->{target}")
        axes.add_patch(arrow)
    return figure
