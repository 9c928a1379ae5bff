"""Impossible inputs are refused before any work, in one line, with nothing deleted or written outside.

Each case starts from a copy of a project whose pipeline has run and is up to date (so
a failure that deleted outputs would show), breaks one thing, runs what a learner would
(`dvc repro`, or one stage directly with papermill), and checks: a non-zero exit; the
key or file named in the last lines; no traceback on the terminal; no tracked file
deleted; nothing written outside the project.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from conftest import Repo, copy_of, set_param, training_rows

pytestmark = pytest.mark.slow

PAPERMILL = [sys.executable, "-m", "papermill", "--engine", "reproducible", "--no-progress-bar"]


@pytest.fixture
def fresh(reproduced_project: Repo, tmp_path: Path) -> Repo:
    """A copy of the reproduced project (every stage up to date), to break."""
    return copy_of(reproduced_project, tmp_path / "box")


def params(key: str, value):
    return lambda root: set_param(root / "params.yaml", key, value)


def drop_grid(root: Path) -> None:
    data = yaml.safe_load((root / "params.yaml").read_text())
    del data["train"]["estimators"]["svm"]
    data["train"]["estimator_name"] = "svm"
    (root / "params.yaml").write_text(yaml.safe_dump(data, sort_keys=False))


def edit_line(path: str, line: int, text: str):
    def edit(root: Path) -> None:
        lines = (root / path).read_text().splitlines()
        lines[line - 1] = text
        (root / path).write_text("\n".join(lines) + "\n")

    return edit


def add_cell(stage: str, code: str):
    def edit(root: Path) -> None:
        path = root / "stages" / f"{stage}.ipynb"
        nb = nbformat.read(path, as_version=4)
        nb.cells.insert(3, nbformat.v4.new_code_cell(code))
        nbformat.write(nb, path)

    return edit


SMALLEST, TRAINING_ROWS = training_rows()  # the folds must fit: for the default split
DVC_REPRO = ["dvc", "repro"]
CASES = {
    # Well-typed or not, a value the pipeline cannot use stops the check stage first.
    "test_size-out-of-range": (
        params("data_split.test_size", 1.5),
        DVC_REPRO,
        "params.yaml: data_split.test_size = 1.5 (float): input should be less than 1",
    ),
    "test_size-leaves-no-test-rows": (
        params("data_split.test_size", 0.999),
        DVC_REPRO,
        "params.yaml: data_split.test_size = 0.999 (float): expected a share that leaves rows on both sides "
        "(150 rows: 0 train, 150 test)",
    ),
    "more-folds-than-the-smallest-class": (
        params("train.cv", 50),
        DVC_REPRO,
        f"params.yaml: train.cv = 50 (int): expected at most {SMALLEST} folds: the smallest class has {SMALLEST} "
        f"of the {TRAINING_ROWS} training rows",
    ),
    "grid-value-the-estimator-refuses": (
        params("train.estimators.logreg.param_grid.C", [-1.0]),
        DVC_REPRO,
        "params.yaml: train.estimators.logreg.param_grid.C = -1.0 (float): expected a value LogisticRegression accepts",
    ),
    "grid-value-of-an-estimator-not-chosen": (
        params("train.estimators.knn.param_grid.weights", ["heavy"]),
        DVC_REPRO,
        "params.yaml: train.estimators.knn.param_grid.weights = 'heavy' (str): expected a value "
        "KNeighborsClassifier accepts",
    ),
    "grid-key-the-estimator-lacks": (
        params("train.estimators.logreg.param_grid.depth", [3]),
        DVC_REPRO,
        "params.yaml: train.estimators.logreg.param_grid.depth is not a parameter of LogisticRegression",
    ),
    "unknown-key-while-no-stage-would-rerun": (
        params("base.seed", 1),
        DVC_REPRO,
        "params.yaml: base.seed = 1 (int): extra inputs are not permitted",
    ),
    "unknown-estimator-name": (
        params("train.estimator_name", "forest"),
        DVC_REPRO,
        "params.yaml: train.estimator_name = 'forest': expected an estimator with a grid under "
        "train.estimators (logreg, svm, knn)",
    ),
    "estimator-without-a-grid": (
        drop_grid,
        DVC_REPRO,
        "params.yaml: train.estimator_name = 'svm': expected an estimator with a grid under "
        "train.estimators (logreg, knn)",
    ),
    "path-outside-the-project": (
        params("train.model_path", "../outside/model.joblib"),
        DVC_REPRO,
        "params.yaml: train.model_path = '../outside/model.joblib' (str): expected a path inside the project",
    ),
    "absolute-path": (
        params("data_load.dataset_csv", "/tmp/iris-outside.csv"),
        DVC_REPRO,
        "params.yaml: data_load.dataset_csv = '/tmp/iris-outside.csv' (str): expected a path inside the project",
    ),
    # The data contract of every CSV a stage reads, run as one stage alone.
    "blank-field-in-the-raw-data": (
        edit_line("data/raw/iris.csv", 5, "5.0,,1.4,0.2,0"),
        [*PAPERMILL, "stages/featurize.ipynb", "reports/runs/featurize.ipynb"],
        "data/raw/iris.csv: line 5, column 'sepal_width': a blank field: expected a number",
    ),
    "text-in-a-number-column": (
        edit_line("data/processed/train_iris.csv", 3, "5.0,abc,1.4,0.2,1.6,7.0,0"),
        [*PAPERMILL, "stages/train.ipynb", "reports/runs/train.ipynb"],
        "data/processed/train_iris.csv: line 3, column 'sepal_width': 'abc': expected a number",
    ),
    "missing-input-names-its-producer": (
        lambda root: (root / "data/raw/iris.csv").unlink(),
        [*PAPERMILL, "stages/featurize.ipynb", "reports/runs/featurize.ipynb"],
        "data/raw/iris.csv: no such file: expected the output of the `data_load` stage",
    ),
    "bad-value-in-a-direct-papermill-run": (
        params("data_split.test_size", 1.5),
        [*PAPERMILL, "stages/data_split.ipynb", "reports/runs/data_split.ipynb"],
        "ConfigError: params.yaml: data_split.test_size = 1.5 (float): input should be less than 1",
    ),
    "parameter-the-stage-does-not-take": (
        lambda root: None,
        [*PAPERMILL, "stages/data_split.ipynb", "reports/runs/data_split.ipynb", "-p", "test_size", "0.3"],
        "stages/data_split.ipynb: parameter 'test_size' (-p test_size ...) is not one the notebook takes: "
        "expected params_file",
    ),
    # A stage that fails while running keeps the git-tracked reports it would rewrite.
    "evaluate-fails-while-running": (
        add_cell("evaluate", 'raise RuntimeError("the disk is full")'),
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
    last_lines = "\n".join(output.strip().splitlines()[-3:])
    assert message in last_lines, output
    assert "Traceback" not in output, output
    deleted = [line for line in fresh.git("status", "--porcelain").stdout.splitlines() if line[:2].strip() == "D"]
    assert deleted == [], f"tracked files deleted: {deleted}"
    assert sorted(p.name for p in fresh.root.parent.iterdir()) == outside, "something was written outside"
    assert not Path("/tmp/iris-outside.csv").exists()


def test_after_a_refusal_one_command_brings_everything_back(fresh: Repo):
    set_param(fresh.root / "params.yaml", "data_split.test_size", 1.5)
    assert fresh.dvc("repro", check=False).returncode != 0
    fresh.git("restore", "params.yaml")  # undo the edit...
    fresh.dvc("checkout")  # ...and the README's one command puts back what DVC removed
    assert "Data and pipelines are up to date." in fresh.dvc("status").stdout
    assert fresh.git("status", "--porcelain").stdout == ""
