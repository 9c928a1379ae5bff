"""Impossible inputs are refused before any work, in one line, with nothing deleted or written outside:
one of each kind, end to end, in a copy of a reproduced project (a deleted output would show),
run as a learner would (`dvc repro`, or one stage with papermill)."""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path

import nbformat
import pytest

from conftest import REFUSALS, REPO_ROOT, Repo, copy_of, set_param

pytestmark = pytest.mark.slow

PAPERMILL = [sys.executable, "-m", "papermill", "--engine", "reproducible", "--no-progress-bar"]
DVC_REPRO = ["dvc", "repro"]


@pytest.fixture
def fresh(reproduced_project: Repo, tmp_path: Path) -> Repo:
    return copy_of(reproduced_project, tmp_path / "box")


def params(edit: dict, root: Path) -> None:
    for key, value in edit.items():
        set_param(root / "params.yaml", key, value)


def edit_line(path: str, line: int, text: str, root: Path) -> None:
    lines = (root / path).read_text().splitlines()
    lines[line - 1] = text
    (root / path).write_text("\n".join(lines) + "\n")


def add_cell(stage: str, code: str, root: Path) -> None:
    nb = nbformat.read(root / "stages" / f"{stage}.ipynb", as_version=4)
    nb.cells.insert(3, nbformat.v4.new_code_cell(code))
    nbformat.write(nb, root / "stages" / f"{stage}.ipynb")


def stage(name: str, *extra: str) -> list[str]:
    return [*PAPERMILL, f"stages/{name}.ipynb", f"reports/runs/{name}.ipynb", *extra]


# The params cases of tests/test_config.py end to end, one of each kind (test_size 1.5 under
# `dvc repro`: lesson 5's check): one only the data can tell, an unknown key that changes no
# stage's params (the check reruns on any edit), and a path that would write outside the project.
END_TO_END = "more-folds-than-the-smallest-class unknown-key path-outside-the-project"
CASES = {
    **{
        name: (partial(params, REFUSALS[name][0]), DVC_REPRO, f"params.yaml: {REFUSALS[name][1]}")
        for name in END_TO_END.split()
    },
    # An empty file: DVC stops first, at dvc.yaml's ${...} paths; the README sends the learner
    # from that message to params.yaml and its check (the README test below).
    "empty-params-file": (
        lambda root: (root / "params.yaml").write_text(""),
        DVC_REPRO,
        "failed to parse 'stages.data_load.outs' in 'dvc.yaml': Could not find 'data_load.dataset_csv'",
    ),
    # The data contract of every CSV a stage reads, run as one stage alone (each kind of break:
    # the read_csv table of tests/test_functions.py).
    "text-in-a-number-column": (
        partial(edit_line, "data/processed/train_iris.csv", 3, "5.0,abc,1.4,0.2,1.6,7.0,0"),
        stage("train"),
        "data/processed/train_iris.csv: line 3, column 'sepal_width': 'abc': expected a number",
    ),
    "missing-input-names-its-producer": (
        lambda root: (root / "data/raw/iris.csv").unlink(),
        stage("featurize"),
        "data/raw/iris.csv: no such file: expected the output of the `data_load` stage",
    ),
    "bad-value-in-a-direct-papermill-run": (
        partial(params, REFUSALS["test_size-above-1"][0]),
        stage("data_split"),
        f"ConfigError: params.yaml: {REFUSALS['test_size-above-1'][1]}",
    ),
    "parameter-the-stage-does-not-take": (
        lambda root: None,
        stage("data_split", "-p", "test_size", "0.3"),
        "stages/data_split.ipynb: parameter 'test_size' (-p test_size ...) is not one the notebook takes: "
        "expected params_file",
    ),
    # A stage that fails while running keeps the git-tracked reports it would rewrite.
    "evaluate-fails-while-running": (
        partial(add_cell, "evaluate", 'raise RuntimeError("the disk is full")'),
        DVC_REPRO,
        "RuntimeError: the disk is full (cell 3; the full traceback is in reports/runs/evaluate.ipynb)",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_refused_in_one_line_with_nothing_deleted_or_written_outside(fresh: Repo, case: str):
    breaks, command, message = CASES[case]
    outside = sorted(p.name for p in fresh.root.parent.iterdir())
    breaks(fresh.root)
    result = fresh.run(*command, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert message in "\n".join(output.strip().splitlines()[-3:]), output
    assert "Traceback" not in output, output
    deleted = [line for line in fresh.git("status", "--porcelain").stdout.splitlines() if line[:2].strip() == "D"]
    assert deleted == [], f"tracked files deleted: {deleted}"
    assert sorted(p.name for p in fresh.root.parent.iterdir()) == outside, "something was written outside"


def test_the_readme_explains_dvcs_message_for_a_key_params_yaml_lacks():
    text = " ".join((REPO_ROOT / "README.md").read_text().split())
    assert '`dvc repro` stops sooner, saying `dvc.yaml` "Could not find" a key' in text
    assert "`python -m iris_pipeline.config params.yaml`" in text
