"""Lesson 6's reading of `dvc exp show --json`: one `Run` per baseline commit and experiment.

DVC prints one entry for the workspace (left out here: it repeats whatever ran last) and one
per baseline commit, with the experiments run on top of it (an example: tests/test_pictures.py).
The picture of these runs is DVC's own table, `dvc exp show --md --sort-by f1`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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


def _run(entry: dict, name: str, baseline: bool) -> Run:
    data = entry.get("data") or {}  # a queued or failed run has none
    params, metrics = _merged(data.get("params")), _merged(data.get("metrics"))
    return Run(entry.get("name") or name, entry["rev"], baseline, params, metrics)


def runs_of(shown: list[dict]) -> list[Run]:
    """Every baseline and experiment in `shown` (`dvc exp show --json`), the workspace left out."""
    runs = []
    for commit in (entry for entry in shown if entry["rev"] != "workspace"):
        runs.append(_run(commit, commit["rev"][:7], True))
        for experiment in commit.get("experiments") or []:
            runs += [_run(rev, experiment.get("name") or rev["rev"][:7], False) for rev in experiment["revs"]]
    return runs


def value_at(data: dict[str, Any], dotted: str, default: Any = None) -> Any:
    """`data["a"]["b"]` for `"a.b"` (`default` if missing); a list of one value (a grid of one) gives that value."""
    for key in dotted.split("."):
        if not isinstance(data, dict) or key not in data:
            return default
        data = data[key]
    return data[0] if isinstance(data, list) and len(data) == 1 else data
