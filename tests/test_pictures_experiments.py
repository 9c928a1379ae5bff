"""The experiment-grid picture (workbook.pictures.experiments): drawn from `dvc exp show --json`."""

from __future__ import annotations

import copy
import io
import json

import pytest

from workbook.pictures.experiments import draw_experiments, runs_of, value_at

C = "train.estimators.logreg.param_grid.C"
# `dvc exp show --json` from a real run (DVC 3.67): the course project's baseline and two
# experiments on a 30 % split. Only the params shown here are kept, and deps, outs and meta dropped.
SHOWN = json.loads("""[
{"rev": "workspace", "name": null, "error": null, "experiments": null,
 "data": {"rev": "workspace", "timestamp": null,
  "params": {"params.yaml": {"data": {"data_split": {"test_size": 0.3}, "train": {"estimator_name": "logreg",
   "estimators": {"logreg": {"param_grid": {"C": [0.1], "max_iter": [100], "solver": ["lbfgs"]}}}}}}},
  "metrics": {"reports/metrics.json": {"data": {"f1": 0.974321}}}}},
{"rev": "7fc167c9df4709fa6282b3bb3f76e8c9aec28269", "name": "main", "error": null,
 "data": {"rev": "7fc167c9df4709fa6282b3bb3f76e8c9aec28269", "timestamp": "2024-01-01T12:00:00",
  "params": {"params.yaml": {"data": {"data_split": {"test_size": 0.2}, "train": {"estimator_name": "logreg",
   "estimators": {"logreg": {"param_grid": {"C": [0.001], "max_iter": [100], "solver": ["lbfgs"]}}}}}}},
  "metrics": {"reports/metrics.json": {"data": {"f1": 0.930556}}}},
 "experiments": [
  {"executor": null, "name": "grid-2", "revs": [{"rev": "76a8e7912780bc57c4e1f459669c507e13a6731e",
   "name": "grid-2", "error": null, "experiments": null,
   "data": {"rev": "76a8e7912780bc57c4e1f459669c507e13a6731e", "timestamp": "2026-12-03T16:38:44",
    "params": {"params.yaml": {"data": {"data_split": {"test_size": 0.3}, "train": {"estimator_name": "logreg",
     "estimators": {"logreg": {"param_grid": {"C": [0.1], "max_iter": [100], "solver": ["lbfgs"]}}}}}}},
    "metrics": {"reports/metrics.json": {"data": {"f1": 0.974321}}}}}]},
  {"executor": null, "name": "grid-1", "revs": [{"rev": "63e7da2a0974a6d9334190b21d5a331d21cdb01d",
   "name": "grid-1", "error": null, "experiments": null,
   "data": {"rev": "63e7da2a0974a6d9334190b21d5a331d21cdb01d", "timestamp": "2026-12-03T16:38:12",
    "params": {"params.yaml": {"data": {"data_split": {"test_size": 0.3}, "train": {"estimator_name": "logreg",
     "estimators": {"logreg": {"param_grid": {"C": [0.01], "max_iter": [100], "solver": ["lbfgs"]}}}}}}},
    "metrics": {"reports/metrics.json": {"data": {"f1": 0.8375}}}}}]}
 ]}
]""")


def points(figure) -> dict[str, tuple[float, float, str]]:
    """Each run's point in the figure: name -> (x, y, marker: '*' for a baseline)."""
    (axes,) = figure.axes
    found = {}
    for collection in axes.collections:
        gid = collection.get_gid() or ""
        if gid.startswith("run:"):
            ((x, y),) = collection.get_offsets()
            baseline = collection.get_sizes()[0] > 100  # the star is drawn bigger
            found[gid.removeprefix("run:")] = (float(x), float(y), "*" if baseline else "o")
    return found


def test_the_json_is_read_into_one_run_per_baseline_and_experiment():
    runs = runs_of(SHOWN)
    assert [(run.name, run.baseline) for run in runs] == [("main", True), ("grid-2", False), ("grid-1", False)]
    assert runs[0].rev == "7fc167c9df4709fa6282b3bb3f76e8c9aec28269"  # the workspace row is left out
    assert [run.metrics["f1"] for run in runs] == [0.930556, 0.974321, 0.8375]
    assert [value_at(run.params, C) for run in runs] == [0.001, 0.1, 0.01]  # a grid of one value is that value
    assert value_at(runs[0].params, "train.estimators.logreg.param_grid.solver") == "lbfgs"
    assert value_at(runs[0].params, "train.nothing.here", None) is None


def test_each_run_is_a_named_point_at_its_param_and_score_and_the_baseline_a_star():
    figure = draw_experiments(SHOWN, C, by="data_split.test_size")
    assert points(figure) == {
        "main": (0.001, 0.930556, "*"),
        "grid-1": (0.01, 0.8375, "o"),
        "grid-2": (0.1, 0.974321, "o"),
    }
    (axes,) = figure.axes
    assert axes.get_xscale() == "log"  # C spans two decades
    assert {"main (baseline)", "grid-1", "grid-2"} <= {text.get_text() for text in axes.texts}
    legend = {text.get_text() for text in axes.get_legend().get_texts()}
    assert {"test_size = 0.2", "test_size = 0.3"} <= legend
    # The runs of one split are joined by a line, in the order of C.
    lines = {tuple(line.get_xdata()): tuple(line.get_ydata()) for line in axes.get_lines()}
    assert lines[(0.01, 0.1)] == (0.8375, 0.974321)
    png = io.BytesIO()
    figure.savefig(png, format="png")
    assert png.getvalue().startswith(b"\x89PNG")


def test_runs_with_the_same_value_and_score_share_one_label():
    shown = copy.deepcopy(SHOWN)
    twin = copy.deepcopy(shown[1]["experiments"][0])
    twin["name"] = twin["revs"][0]["name"] = "grid-2-again"
    shown[1]["experiments"].append(twin)
    (axes,) = draw_experiments(shown, C).axes
    assert "grid-2, grid-2-again" in {text.get_text() for text in axes.texts}


def test_a_text_param_is_drawn_as_categories():
    (axes,) = draw_experiments(SHOWN, "train.estimator_name").axes
    assert [label.get_text() for label in axes.get_xticklabels()] == ["logreg"]


def test_a_run_without_a_score_yet_is_left_out():
    shown = copy.deepcopy(SHOWN)
    shown[1]["experiments"][1]["revs"][0]["data"] = None  # as a queued or failed run shows
    assert set(points(draw_experiments(shown, C))) == {"main", "grid-2"}


def test_json_without_the_metric_is_a_clear_error():
    with pytest.raises(ValueError, match=r"no run a metric 'accuracy' \(metrics found: f1\)"):
        draw_experiments(SHOWN, C, metric="accuracy")
    shown = copy.deepcopy(SHOWN)
    for commit in shown:
        commit["data"]["metrics"] = {}
        for experiment in commit.get("experiments") or []:
            experiment["revs"][0]["data"]["metrics"] = {}
    with pytest.raises(ValueError, match=r"metrics found: none"):
        draw_experiments(shown, C)


def test_other_input_is_a_clear_error():
    with pytest.raises(ValueError, match=r"expected the parsed output of `dvc exp show --json`"):
        draw_experiments({"rev": "workspace"}, C)
    with pytest.raises(ValueError, match=r"run 'main' has no param 'train.nothing'"):
        draw_experiments(SHOWN, "train.nothing")
    with pytest.raises(ValueError, match=r"run 'main' has a list or section, .* as param 'train.estimators'"):
        draw_experiments(SHOWN, "train.estimators")
