"""The pipeline picture (workbook.pictures.dag): drawn from the text `dvc dag --dot` prints."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from conftest import Repo
from workbook.pictures.dag import draw_dag, layers, parse_dot

SMALL = """strict digraph {
"load";
"split";
"train";
"evaluate";
"load" -> "split";
"split" -> "train";
"split" -> "evaluate";
"train" -> "evaluate";
}
"""


def drawn(figure) -> tuple[dict[str, FancyBboxPatch], set[str], set[str]]:
    """The stage boxes by name, the edges drawn ("a->b") and the texts of a figure."""
    (axes,) = figure.axes
    boxes = {p.get_gid().removeprefix("stage:"): p for p in axes.patches if isinstance(p, FancyBboxPatch)}
    edges = {p.get_gid().removeprefix("edge:") for p in axes.patches if isinstance(p, FancyArrowPatch)}
    return boxes, edges, {text.get_text() for text in axes.texts}


def test_the_dot_text_is_read_into_stages_and_dependencies():
    nodes, edges = parse_dot(SMALL)
    assert nodes == ["load", "split", "train", "evaluate"]
    assert edges == [("load", "split"), ("split", "train"), ("split", "evaluate"), ("train", "evaluate")]
    assert layers(nodes, edges) == [["load"], ["split"], ["train"], ["evaluate"]]


def test_the_figure_holds_one_box_per_stage_and_one_arrow_per_dependency():
    boxes, edges, texts = drawn(draw_dag(SMALL, title="a pipeline"))
    assert set(boxes) == {"load", "split", "train", "evaluate"}
    assert edges == {"load->split", "split->train", "split->evaluate", "train->evaluate"}
    assert {"load", "split", "train", "evaluate", "a pipeline"} <= texts
    tops = {name: box.get_y() for name, box in boxes.items()}
    assert tops["load"] > tops["split"] > tops["train"] > tops["evaluate"]  # top to bottom, in order


def test_an_arrow_that_skips_a_layer_goes_around_the_boxes_between():
    figure = draw_dag(SMALL)
    boxes, _, _ = drawn(figure)
    (axes,) = figure.axes
    (skipping,) = [p for p in axes.patches if p.get_gid() == "edge:split->evaluate"]
    train = boxes["train"]
    line = [point for curve, _ in skipping.get_path().iter_bezier() for point in curve(np.linspace(0, 1, 25))]
    assert len(line) > 50
    left, bottom = train.get_x(), train.get_y()
    right, top = left + train.get_width(), bottom + train.get_height()
    inside = [(x, y) for x, y in line if left <= x <= right and bottom <= y <= top]
    assert not inside, inside


def test_unquoted_names_attributes_and_repeated_edges_are_read():
    nodes, edges = parse_dot("digraph G {\na [label=x];\na -> b;\na -> b;\n}")
    assert nodes == ["a", "b"] and edges == [("a", "b")]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("", "the text starts with '\\(nothing\\)'"),
        ("Data and pipelines are up to date.", "the text starts with 'Data and pipelines"),
        ("flowchart TD\n\tnode1-->node2\n", "the text starts with 'flowchart TD'"),  # `dvc dag --mermaid`
        ('strict digraph {\n"a";\n"a" => "b";\n}', "line 3 of the dot text"),
        ("strict digraph {\n}", "the graph has no stage"),
        ('strict digraph {\n"a" -> "b";\n"b" -> "a";\n}', "a -> b -> a is a cycle"),
    ],
)
def test_other_text_is_refused_naming_what_was_expected(text, found):
    with pytest.raises(ValueError, match=found) as refused:
        draw_dag(text)
    assert "dvc dag --dot" in str(refused.value) or "cycle" in str(refused.value)


def test_the_projects_own_pipeline_is_drawn(tmp_path):
    repo = Repo.copy_of_project(tmp_path)
    dot = repo.dvc("dag", "--dot").stdout
    boxes, edges, _ = drawn(draw_dag(dot))
    stages = [line.split()[0] for line in repo.dvc("stage", "list", "--name-only").stdout.splitlines()]
    assert sorted(boxes) == sorted(stages)
    assert len(edges) == dot.count(" -> ")
