"""An experiment grid's scores, drawn from the parsed output of `dvc exp show --json`.

`dvc exp show --json` prints a list: one entry for the workspace (left out here, it repeats
whatever ran last) and one per baseline commit, each with the experiments run on top of it:

    [{"rev": "workspace", "name": null, "data": {...}},
     {"rev": "7fc1...", "name": "main",
      "data": {"params": {"params.yaml": {"data": {...}}},
               "metrics": {"reports/metrics.json": {"data": {"f1": 0.930556}}}},
      "experiments": [{"name": "grid-1", "revs": [{"name": "grid-1", "data": {...}}]}]}]

`draw_experiments(shown, param)` draws each run's score (`metric`, F1 by default) against
its value of `param` (a dotted key of the params file), one named point per run, baselines
as stars. With `by` (a second parameter, say the test size) the runs that share its value
get one colour and are joined by a line, so a reader compares runs on the same split only.
A run that has no score yet (queued or failed) is left out. Plain matplotlib, no network.

`runs_of(shown)` flattens the JSON into one `Run` per baseline and experiment (its name,
commit, params and metrics) and `value_at(params, "a.b")` reads one value: lesson 6 builds
its tables from them too.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Real
from typing import Any

from matplotlib.figure import Figure

_EXPECTED = "the parsed output of `dvc exp show --json`: a list of commits, each a dict with 'rev' and 'data'"
_MISSING = object()


@dataclass(frozen=True)
class Run:
    """One row of `dvc exp show`: a baseline commit or an experiment, with its params and metrics."""

    name: str
    rev: str  # the commit's hash: it changes on every run of an experiment
    baseline: bool
    params: dict[str, Any]  # the params files' data, merged
    metrics: dict[str, Any]  # the metrics files' data, merged


def _merged(files: dict | None) -> dict[str, Any]:
    """`{"params.yaml": {"data": {...}}, ...}` as one dict of the files' data."""
    merged: dict[str, Any] = {}
    for content in (files or {}).values():
        merged.update((content or {}).get("data") or {})
    return merged


def runs_of(shown: list[dict]) -> list[Run]:
    """Every baseline and experiment in `shown` (`dvc exp show --json`), workspace left out."""
    if not isinstance(shown, list) or not all(isinstance(entry, dict) and "rev" in entry for entry in shown):
        raise ValueError(f"expected {_EXPECTED}; got {type(shown).__name__}")
    runs = []
    for commit in shown:
        if commit["rev"] == "workspace":
            continue
        data = commit.get("data") or {}
        name = commit.get("name") or commit["rev"][:7]
        runs.append(Run(name, commit["rev"], True, _merged(data.get("params")), _merged(data.get("metrics"))))
        for experiment in commit.get("experiments") or []:
            for rev in experiment.get("revs") or []:
                data = rev.get("data") or {}
                name = rev.get("name") or experiment.get("name") or rev["rev"][:7]
                runs.append(Run(name, rev["rev"], False, _merged(data.get("params")), _merged(data.get("metrics"))))
    return runs


def value_at(data: dict[str, Any], dotted: str, default: Any = _MISSING) -> Any:
    """`data["a"]["b"]` for `"a.b"` (`default` if missing); a list of one value (a grid of one) gives that value."""
    value: Any = data
    for key in dotted.split("."):
        if not isinstance(value, dict) or key not in value:
            return default
        value = value[key]
    if isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


def draw_experiments(
    shown: list[dict], param: str, metric: str = "f1", by: str | None = None, title: str | None = None
) -> Figure:
    """Each run's `metric` against its `param`, named; baselines as stars; runs grouped by `by`."""
    runs = runs_of(shown)
    scored = [run for run in runs if isinstance(value_at(run.metrics, metric), Real)]
    if not scored:
        found = sorted({key for run in runs for key in run.metrics})
        raise ValueError(
            f"`dvc exp show --json` gives no run a metric {metric!r} "
            f"(metrics found: {', '.join(found) or 'none'}); expected a number such as the F1 of reports/metrics.json"
        )
    points = []
    for run in scored:
        x = value_at(run.params, param)
        group = value_at(run.params, by) if by else None
        for key, value in ((param, x), (by, group)):
            if key and (value is _MISSING or isinstance(value, (list, dict))):
                what = "no" if value is _MISSING else f"a list or section, {value!r}, as"
                raise ValueError(f"run {run.name!r} has {what} param {key!r}; expected one value per run")
        points.append((run, x, group, float(value_at(run.metrics, metric))))

    numeric = all(isinstance(x, Real) for _, x, _, _ in points)
    if numeric:
        position = {x: float(x) for _, x, _, _ in points}
    else:  # categories, in sorted order of their text
        position = {x: float(i) for i, x in enumerate(sorted({x for _, x, _, _ in points}, key=str))}

    figure = Figure(figsize=(7.5, 4.2), layout="constrained")
    axes = figure.subplots()
    groups = sorted({group for _, _, group, _ in points}, key=lambda g: (str(type(g)), g))
    colours = {group: f"C{i % 10}" for i, group in enumerate(groups)}
    for group in groups:
        mine = sorted((position[x], y) for _, x, g, y in points if g == group)
        label = f"{by.rsplit('.', 1)[-1]} = {group}" if by else None
        axes.plot(*zip(*mine, strict=True), color=colours[group], linewidth=1, alpha=0.6, label=label)
    for run, x, group, y in points:
        style = dict(marker="*", s=220, zorder=3) if run.baseline else dict(marker="o", s=50, zorder=2)
        axes.scatter(
            position[x], y, color=colours[group], edgecolors="black", linewidths=0.6, gid=f"run:{run.name}", **style
        )
    # One label per place: runs with the same value and score share it ("main, bigger-c").
    names: dict[tuple[float, float], list[str]] = {}
    for run, x, _, y in points:
        names.setdefault((position[x], y), []).append(run.name + (" (baseline)" if run.baseline else ""))
    for (px, y), labels in names.items():
        axes.annotate(", ".join(labels), (px, y), xytext=(7, -3), textcoords="offset points", fontsize=8)

    if numeric:
        values = [position[x] for _, x, _, _ in points]
        if min(values) > 0 and max(values) / min(values) >= 10:
            axes.set_xscale("log")
        axes.margins(x=0.25)
    else:
        axes.set_xticks(list(position.values()), [str(x) for x in position])
        axes.margins(x=0.3)
    axes.margins(y=0.15)
    axes.scatter([], [], marker="*", s=120, color="white", edgecolors="black", label="baseline (a commit)")
    axes.legend(loc="best", fontsize=8)
    axes.set_xlabel(param)
    axes.set_ylabel(metric)
    axes.grid(alpha=0.3)
    short = param.rsplit(".", 1)[-1] + (f" and {by.rsplit('.', 1)[-1]}" if by else "")
    axes.set_title(title or f"{metric} of each run by {short}")
    return figure
