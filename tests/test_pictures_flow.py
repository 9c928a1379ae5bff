"""The CI-flow picture (workbook.pictures.flow): registry -> project -> CI runner -> comment,
labelled from a workflow file and a lesson's run."""

from __future__ import annotations

from pathlib import Path

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from conftest import REPO_ROOT
from workbook.pictures.flow import Step, draw_flow, headings, read_workflow

WORKFLOW = """\
name: Report
on: pull_request
jobs:
  report:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v6
      - name: Run the pipeline
        run: |
          dvc pull
          dvc repro
      - name: Build the report
        run: dvc metrics diff main --md > pr-report.md
      - name: Post it
        run: cml comment create pr-report.md
"""


@pytest.fixture
def workflow_file(tmp_path: Path) -> Path:
    path = tmp_path / "report.yml"
    path.write_text(WORKFLOW)
    return path


def drawn(figure) -> tuple[dict[str, FancyBboxPatch], set[str], str]:
    """The boxes by name, the arrows ("a->b") and all the text of a figure, one string."""
    (axes,) = figure.axes
    boxes = {p.get_gid().removeprefix("box:"): p for p in axes.patches if isinstance(p, FancyBboxPatch)}
    arrows = {p.get_gid().removeprefix("arrow:") for p in axes.patches if isinstance(p, FancyArrowPatch)}
    return boxes, arrows, "\n".join(text.get_text() for text in axes.texts)


def assert_each_box_holds_its_text(figure) -> None:
    boxes, _, _ = drawn(figure)
    renderer = FigureCanvasAgg(figure).get_renderer()
    (axes,) = figure.axes
    for name, box in boxes.items():
        frame = box.get_window_extent(renderer)
        inside = [t for t in axes.texts if frame.contains(*axes.transData.transform(t.get_position()))]
        assert inside, name
        for label in inside:
            extent = label.get_window_extent(renderer)
            assert frame.x0 <= extent.x0 and extent.x1 <= frame.x1, (name, label.get_text())


def test_a_workflows_job_and_steps_are_read_with_what_each_step_runs(workflow_file):
    workflow = read_workflow(workflow_file)
    assert (workflow.name, workflow.job) == ("Report", "report")
    assert workflow.steps == (
        Step("actions/checkout@v6"),
        Step("Run the pipeline", "dvc pull  (+1 more)"),
        Step("Build the report", "dvc metrics diff main --md > pr-report.md"),
        Step("Post it", "cml comment create pr-report.md"),
    )
    assert workflow.report == "pr-report.md"  # the file the comment step posts


def test_the_courses_cml_workflow_is_read():
    workflow = read_workflow(REPO_ROOT / ".github" / "workflows" / "cml.yaml")
    labels = [step.label for step in workflow.steps]
    assert labels[0].startswith("actions/checkout@")
    assert any(step.runs == "dvc repro" for step in workflow.steps)
    assert any(step.runs.startswith("cml comment create") for step in workflow.steps)
    assert workflow.report == "report.md"
    assert_each_box_holds_its_text(draw_flow("07-registry-cml/registry", "data/iris.csv", workflow, versions=["v1"]))


def test_a_workflow_with_no_single_job_or_no_steps_is_refused_with_the_file_named(tmp_path):
    two = tmp_path / "two.yml"
    two.write_text("jobs:\n  a:\n    steps: [{run: echo}]\n  b:\n    steps: [{run: echo}]\n")
    with pytest.raises(ValueError, match=r"two\.yml: expected one job .*\['a', 'b'\]"):
        read_workflow(two)
    assert read_workflow(two, job="b").steps == (Step("echo"),)
    with pytest.raises(ValueError, match=r"two\.yml: no job 'c'"):
        read_workflow(two, job="c")
    empty = tmp_path / "empty.yml"
    empty.write_text("jobs:\n  a:\n    runs-on: ubuntu-latest\n")
    with pytest.raises(ValueError, match=r"empty\.yml: job 'a' has no `steps:`"):
        read_workflow(empty)


def test_the_figure_shows_the_four_places_in_a_z_with_the_runs_labels(workflow_file):
    figure = draw_flow(
        "07-registry-cml/registry",
        "data/iris.csv",
        read_workflow(workflow_file),
        versions=["v1", "v2"],
        project="analysis",
        pin="0c68439",
        sections=["Metrics", "Params"],
    )
    boxes, arrows, text = drawn(figure)
    assert set(boxes) == {"registry", "project", "ci", "comment"}
    assert arrows == {"registry->project", "project->ci", "ci->comment"}
    for label in (
        "07-registry-cml/registry", "data/iris.csv", "tags: v1, v2", "data/iris.csv.dvc", "rev_lock: 0c68439",
        "job report", "1. actions/checkout@v6", "2. Run the pipeline", "dvc pull  (+1 more)", "4. Post it",
        "pr-report.md", "Metrics", "Params", "dvc import\ndvc update", "cml comment\ncreate",
    ):  # fmt: skip
        assert label in text, label
    x = {name: box.get_x() for name, box in boxes.items()}
    y = {name: box.get_y() for name, box in boxes.items()}
    assert x["registry"] == x["ci"] < x["project"] == x["comment"]  # two columns
    assert min(y["registry"], y["project"]) > max(y["ci"] + boxes["ci"].get_height(), y["comment"])  # two rows
    width, height = figure.get_size_inches()
    assert 6 < width < 12 and height < 8  # fits a notebook's width at a readable size


def test_long_commands_wrap_inside_their_box_and_the_report_name_can_be_given(workflow_file):
    figure = draw_flow("r", "f.csv", read_workflow(workflow_file), report="other.md")
    boxes, _, text = drawn(figure)
    assert "other.md" in text and "pr-report.md" not in text.split("Pull-request comment")[1]
    assert max(len(line) for line in text.splitlines()) <= 46
    assert_each_box_holds_its_text(figure)


def test_headings_are_a_reports_sections():
    assert headings("# Report\n\n## Metrics\n| a |\n## Params  \ntext\n### Detail\n") == ["Metrics", "Params"]
