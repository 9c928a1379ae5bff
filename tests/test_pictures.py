"""The lessons' pictures and readings (workbook.pictures): lesson 4's storage picture draws a
real project's facts (the tracked file, its md5 and cache path, the remotes, whether the cache
and the remote hold the bytes); lesson 7's flow picture is labelled from the course's workflow
file and a report; lesson 6 reads `dvc exp show --json` into one run per baseline and experiment."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from conftest import REPO_ROOT
from workbook.pictures.experiments import runs_of, value_at
from workbook.pictures.flow import draw_flow
from workbook.pictures.storage import cache_path, storage_picture

REPORT = "# Report\n\n## Metrics\n| a |\n## Parameters  \ntext\n### Detail\n"


def drawn(figure) -> tuple[dict, set[str], str]:
    """The boxes by name, the arrows ("a->b") and all the text of a figure, one string."""
    (axes,) = figure.axes
    gids = {patch.get_gid(): patch for patch in axes.patches}
    boxes = {gid.removeprefix("box:"): patch for gid, patch in gids.items() if gid.startswith("box:")}
    arrows = {gid.removeprefix("arrow:") for gid in gids if gid.startswith("arrow:")}
    return boxes, arrows, "\n".join(text.get_text() for text in axes.texts)


def assert_boxes_hold_their_text(figure) -> None:
    """Every text of a box (gid `text:<name>`) inside the box `box:<name>` as drawn (that the
    figure shows as a PNG: lessons 4 and 7, whose figure cells draw it from their runs)."""
    renderer = FigureCanvasAgg(figure).get_renderer()
    boxes, _, _ = drawn(figure)
    for text in figure.axes[0].texts:
        name = (text.get_gid() or "").removeprefix("text:")
        if name in boxes:
            frame, extent = boxes[name].get_window_extent(renderer), text.get_window_extent(renderer)
            assert frame.x0 <= extent.x0 and extent.x1 <= frame.x1 and frame.y0 <= extent.y0, (name, text.get_text())
            assert extent.y1 <= frame.y1, (name, text.get_text())


def test_the_four_places_in_a_z_with_the_runs_labels(tmp_path):
    (tmp_path / "report.md").write_text(REPORT)
    workflow = REPO_ROOT / ".github" / "workflows" / "cml.yaml"
    figure = draw_flow("07-registry-cml/registry", ["v1", "v2"], "data/iris.csv", "analysis", "0c68439",
                       workflow, tmp_path / "report.md")  # fmt: skip
    boxes, arrows, text = drawn(figure)
    assert set(boxes) == {"registry", "project", "ci", "comment"}
    assert arrows == {"registry->project", "project->ci", "ci->comment"}
    for label in (
        "07-registry-cml/registry", "  data/iris.csv", "tags: v1, v2", "data/iris.csv.dvc", "rev_lock: 0c68439",
        "CI runner: cml.yaml, job report", "1. actions/checkout@v", "   dvc repro", "   cml comment create report.md",
        "Post the report on the pull request", "report.md\n  Metrics\n  Parameters", "dvc import\ndvc update",
        "cml comment\ncreate",
    ):  # fmt: skip
        assert label in text, label
    assert "Report" not in text and "Detail" not in text  # a report's sections are its `## ` headings
    x = {name: box.get_x() for name, box in boxes.items()}
    y = {name: box.get_y() for name, box in boxes.items()}
    assert x["registry"] == x["ci"] < x["project"] == x["comment"]  # two columns
    assert min(y["registry"], y["project"]) > max(y["ci"] + boxes["ci"].get_height(), y["comment"])  # two rows
    width, height = figure.get_size_inches()
    assert 6 < width < 12 and height < 8  # fits a notebook's width at a readable size
    assert_boxes_hold_their_text(figure)


DATA = b"sepal_length,target\n5.1,0\n"
MD5 = hashlib.md5(DATA).hexdigest()
COMMANDS = "git add", "git commit", "git checkout", "git push", "git pull", "git clone", "dvc add", "dvc commit"
COMMANDS += "dvc checkout", "dvc push", "dvc fetch", "dvc pull"


def project_with_pointer(root: Path, remote: Path | None = None) -> Path:
    """A project as `dvc add data/raw/iris.csv` leaves it (written by hand, no DVC run)."""
    (root / "data" / "raw").mkdir(parents=True)
    (root / "data" / "raw" / "iris.csv").write_bytes(DATA)
    pointer = f"outs:\n- md5: {MD5}\n  size: {len(DATA)}\n  hash: md5\n  path: iris.csv\n"
    (root / "data" / "raw" / "iris.csv.dvc").write_text(pointer, encoding="utf-8")
    (root / ".dvc").mkdir()
    config = f"[core]\n    remote = storage\n['remote \"storage\"']\n    url = {remote}\n" if remote else ""
    (root / ".dvc" / "config").write_text(config, encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def test_the_picture_shows_the_projects_own_file_hash_paths_and_where_the_bytes_are(tmp_path):
    shared = tmp_path / "shared"  # a short name: the remotes' last two parts fit their boxes
    project = project_with_pointer(tmp_path / "project", shared / "dvc-remote")
    boxes, arrows, shown = drawn(storage_picture(project))
    assert set(boxes) == {"git", "workspace", "cache", "origin", "remote"} and len(arrows) == 9
    for fact in (
        "data/raw/iris.csv\n", "data/raw/iris.csv.dvc:", f"md5: {MD5}", f"size: {len(DATA)}", f"{len(DATA)} bytes",
        f".dvc/cache/files/md5/{MD5[:2]}/\n  {MD5[2:]}", "DVC remote (storage)", "…/shared/dvc-remote", *COMMANDS,
    ):  # fmt: skip
        assert fact in shown, fact
    assert shown.count("does not hold them yet") == 2  # neither the cache nor the remote has the bytes
    assert "git remote (origin)\nnone yet" in shown
    assert "none yet (dvc remote add -d)" in drawn(storage_picture(project_with_pointer(tmp_path / "bare")))[2]
    for root in (project / ".dvc" / "cache", shared / "dvc-remote"):
        (root / cache_path(MD5)).parent.mkdir(parents=True)
        (root / cache_path(MD5)).write_bytes(DATA)
    origin = ["git", "remote", "add", "origin", str(shared / "origin.git")]
    subprocess.run(origin, cwd=project, check=True)
    figure = storage_picture(project)
    shown = drawn(figure)[2]
    assert shown.count("holds these bytes") == 2 and "does not hold" not in shown
    assert "…/shared/origin.git" in shown
    assert_boxes_hold_their_text(figure)


def test_a_workflow_a_dvc_file_or_a_hash_that_does_not_fit_is_named_in_the_error(tmp_path):
    (tmp_path / "two.yml").write_text("jobs:\n  a:\n    steps: [{run: echo}]\n  b:\n    steps: [{run: echo}]\n")
    with pytest.raises(ValueError, match=r"two\.yml: expected one job .*\['a', 'b'\]"):
        draw_flow("r", [], "f.csv", "p", "0c68439", tmp_path / "two.yml", tmp_path / "report.md")
    (tmp_path / "empty.dvc").write_text("outs: []\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"empty\.dvc: expected one entry under 'outs'"):
        storage_picture(tmp_path, "empty.dvc")
    with pytest.raises(ValueError, match="32 lowercase hex"):
        cache_path("not-a-hash")


C = "train.estimators.logreg.param_grid.C"
# `dvc exp show --json` from a real run (DVC 3.67), the course project's baseline and a queued
# experiment; only these params kept, deps, outs and meta dropped. Experiments that ran are read
# in lesson 6's checks, from DVC itself (their names, params and F1).
SHOWN = json.loads("""[
{"rev": "workspace", "name": null, "error": null, "experiments": null,
 "data": {"rev": "workspace", "params": {"params.yaml": {"data": {"data_split": {"test_size": 0.3}}}},
  "metrics": {"reports/metrics.json": {"data": {"f1": 0.974321}}}}},
{"rev": "7fc167c9df4709fa6282b3bb3f76e8c9aec28269", "name": "main", "error": null,
 "data": {"rev": "7fc167c9df4709fa6282b3bb3f76e8c9aec28269", "timestamp": "2024-01-01T12:00:00",
  "params": {"params.yaml": {"data": {"data_split": {"test_size": 0.2}, "train": {"estimator_name": "logreg",
   "estimators": {"logreg": {"param_grid": {"C": [0.001], "max_iter": [100], "solver": ["lbfgs"]}}}}}}},
  "metrics": {"reports/metrics.json": {"data": {"f1": 0.930556}}}},
 "experiments": [
  {"executor": null, "name": "grid-1", "revs": [{"rev": "63e7da2a0974a6d9334190b21d5a331d21cdb01d",
   "name": null, "error": null, "experiments": null, "data": null}]}
 ]}
]""")


def test_the_json_is_read_into_one_run_per_baseline_and_experiment():
    runs = runs_of(SHOWN)
    assert [(run.name, run.baseline) for run in runs] == [("main", True), ("grid-1", False)]
    assert runs[0].rev == "7fc167c9df4709fa6282b3bb3f76e8c9aec28269"  # the workspace row is left out
    assert [run.metrics.get("f1") for run in runs] == [0.930556, None]  # grid-1 queued: no data yet
    assert [value_at(run.params, C) for run in runs] == [0.001, None]  # a grid of one value is that value
    assert value_at(runs[0].params, "data_split") == {"test_size": 0.2}
    assert value_at(runs[0].params, "train.nothing.here", "missing") == "missing"
