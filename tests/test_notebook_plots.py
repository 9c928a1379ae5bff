"""Unit tests for drawing DVC's JSON plots and DVCLive's step files with matplotlib."""

from __future__ import annotations

import pytest
from matplotlib.figure import Figure

from iris_pipeline import notebook_plots


def confusion_entry(rows: list[tuple[str, str, str]]) -> dict:
    """A `vega` entry shaped like `dvc plots diff --json` output for the confusion template."""
    return {
        "type": "vega",
        "revisions": sorted({rev for rev, _, _ in rows}),
        "content": {
            "data": {"values": [{"rev": rev, "y_true": t, "predicted": p} for rev, t, p in rows]},
            "spec": {"encoding": {"x": {"field": "predicted"}, "y": {"field": "y_true"}}},
        },
    }


PLOTS = {
    "data": {
        "cm.csv": [
            confusion_entry(
                [("HEAD", "a", "a"), ("HEAD", "b", "a"), ("workspace", "a", "a"), ("workspace", "b", "b")]
            )
        ],
        "cm.png": [{"type": "image", "revisions": ["HEAD"], "url": "dvc_plots/HEAD_cm.png"}],
    }
}


def test_confusion_matrices_counts_each_revision_over_shared_labels():
    matrices = notebook_plots.confusion_matrices(PLOTS, "cm.csv")

    assert list(matrices) == ["HEAD", "workspace"]
    assert matrices["HEAD"].to_numpy().tolist() == [[1, 0], [1, 0]]
    assert matrices["workspace"].to_numpy().tolist() == [[1, 0], [0, 1]]
    assert matrices["HEAD"].index.name == "y_true"
    assert matrices["HEAD"].columns.name == "predicted"


def test_unknown_plot_names_the_known_ones():
    with pytest.raises(KeyError, match="cm.csv"):
        notebook_plots.confusion_matrices(PLOTS, "missing.csv")


def test_plot_confusion_matrices_draws_one_axes_per_revision():
    figure = notebook_plots.plot_confusion_matrices(notebook_plots.confusion_matrices(PLOTS, "cm.csv"))

    assert isinstance(figure, Figure)
    assert [axes.get_title() for axes in figure.axes] == ["HEAD", "workspace"]


def test_image_paths_by_revision():
    paths = notebook_plots.image_paths(PLOTS, "cm.png")

    assert {rev: path.name for rev, path in paths.items()} == {"HEAD": "HEAD_cm.png"}


def test_step_metrics_read_and_plotted(tmp_path):
    folder = tmp_path / "plots" / "metrics" / "train"
    folder.mkdir(parents=True)
    (folder / "loss.tsv").write_text("step\tloss\n0\t1.0\n1\t0.5\n", encoding="utf-8")

    metrics = notebook_plots.read_step_metrics(tmp_path)
    figure = notebook_plots.plot_step_metrics(metrics)

    assert list(metrics) == ["train/loss"]
    assert metrics["train/loss"]["loss"].tolist() == [1.0, 0.5]
    assert [axes.get_title() for axes in figure.axes] == ["train/loss"]


def test_step_metrics_missing_folder_is_explained(tmp_path):
    with pytest.raises(FileNotFoundError, match="log_metric"):
        notebook_plots.read_step_metrics(tmp_path)
