"""DVC's plots drawn in a notebook without a network connection.

The HTML page `dvc plots show` writes loads Vega from a CDN, so it stays blank
offline. `dvc plots show --json` and `dvc plots diff --json` print the same plots as
data instead: for each plot file, the revisions it covers and either a Vega-Lite spec
with the rows inline (`"type": "vega"`) or the path of an extracted picture
(`"type": "image"`). These helpers read that JSON, and DVCLive's step files, and draw
them with matplotlib.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure


def _entries(plots_json: dict[str, Any], plot_id: str, kind: str) -> list[dict[str, Any]]:
    """The entries of one plot in DVC's `--json` output that have the given type."""
    plots = plots_json.get("data", {})
    if plot_id not in plots:
        raise KeyError(f"plot {plot_id!r} not in DVC's JSON output: expected one of {', '.join(plots)}")
    return [entry for entry in plots[plot_id] if entry.get("type") == kind]


def confusion_matrices(plots_json: dict[str, Any], plot_id: str) -> dict[str, pd.DataFrame]:
    """Count a `confusion` template plot into one matrix per revision (rows: y field, columns: x).

    The x and y fields are read from the Vega-Lite spec, as DVC's template uses them.
    Every matrix has the same labels, in sorted order, so revisions line up.
    """
    import pandas as pd

    matrices: dict[str, pd.DataFrame] = {}
    for entry in _entries(plots_json, plot_id, "vega"):
        content = entry["content"]
        encoding = content.get("spec", content)["encoding"]
        x_field, y_field = encoding["x"]["field"], encoding["y"]["field"]
        rows = pd.DataFrame(content["data"]["values"])
        labels = sorted(set(rows[x_field]) | set(rows[y_field]))
        for rev in entry["revisions"]:
            part = rows[rows["rev"] == rev]
            matrices[rev] = pd.crosstab(
                pd.Categorical(part[y_field], categories=labels),
                pd.Categorical(part[x_field], categories=labels),
                rownames=[y_field],
                colnames=[x_field],
                dropna=False,
            )
    return matrices


def plot_confusion_matrices(matrices: dict[str, pd.DataFrame], title: str = "") -> Figure:
    """Draw count matrices side by side, one per revision, on one colour scale."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(4.2 * len(matrices), 4.2))
    axes_row = figure.subplots(1, len(matrices), squeeze=False)[0]
    top = max(int(m.to_numpy().max()) for m in matrices.values()) or 1
    for axes, (rev, matrix) in zip(axes_row, matrices.items(), strict=True):
        counts = matrix.to_numpy()
        axes.imshow(counts, cmap="Blues", vmin=0, vmax=top)
        axes.set_xticks(range(counts.shape[1]), labels=[str(c) for c in matrix.columns], rotation=30)
        axes.set_yticks(range(counts.shape[0]), labels=[str(i) for i in matrix.index])
        axes.set_xlabel(matrix.columns.name or "")
        axes.set_ylabel(matrix.index.name or "")
        axes.set_title(rev)
        for (row, col), count in _cells(counts):
            shade = "white" if count > top / 2 else "black"
            axes.text(col, row, str(count), ha="center", va="center", color=shade)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def _cells(counts: Any) -> list[tuple[tuple[int, int], int]]:
    """((row, column), count) for every cell of a 2-D array."""
    return [((r, c), int(counts[r, c])) for r in range(counts.shape[0]) for c in range(counts.shape[1])]


def image_paths(plots_json: dict[str, Any], plot_id: str) -> dict[str, Path]:
    """The picture DVC extracted for each revision of an image plot."""
    return {
        entry["revisions"][0]: Path(entry["url"]) for entry in _entries(plots_json, plot_id, "image")
    }


def plot_images(paths: dict[str, Path]) -> Figure:
    """Show pictures side by side, titled by revision."""
    from matplotlib.figure import Figure
    from matplotlib.image import imread

    figure = Figure(figsize=(4.5 * len(paths), 4.2))
    axes_row = figure.subplots(1, len(paths), squeeze=False)[0]
    for axes, (rev, path) in zip(axes_row, paths.items(), strict=True):
        axes.imshow(imread(path))
        axes.set_title(rev)
        axes.axis("off")
    figure.tight_layout()
    return figure


def read_step_metrics(live_dir: str | Path) -> dict[str, pd.DataFrame]:
    """DVCLive's per-step metrics (`<dir>/plots/metrics/**/*.tsv`), keyed by metric name."""
    import pandas as pd

    root = Path(live_dir) / "plots" / "metrics"
    files = sorted(root.rglob("*.tsv"))
    if not files:
        raise FileNotFoundError(f"{root}: no .tsv files: expected DVCLive's log_metric output")
    return {path.relative_to(root).with_suffix("").as_posix(): pd.read_csv(path, sep="\t") for path in files}


def plot_step_metrics(metrics: dict[str, pd.DataFrame]) -> Figure:
    """One line chart per metric, value against step."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(4.5 * len(metrics), 3.5))
    axes_row = figure.subplots(1, len(metrics), squeeze=False)[0]
    for axes, (name, frame) in zip(axes_row, metrics.items(), strict=True):
        value = frame.columns[-1]  # DVCLive writes `step` then the metric's own column
        axes.plot(frame["step"], frame[value], marker="o")
        axes.set_title(name)
        axes.set_xlabel("step")
        axes.grid(alpha=0.3)
    figure.tight_layout()
    return figure
