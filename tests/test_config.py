"""The typed params loader: the real file loads; each kind of bad input gets one clear error."""

from __future__ import annotations

import functools
import operator
import sys

import pytest
import yaml

from conftest import REPO_ROOT, run, set_param, training_rows
from iris_pipeline.config import ConfigError, check_against_data, load_params
from iris_pipeline.dataset import load_iris_frame

PARAMS = REPO_ROOT / "params.yaml"
SMALLEST, TRAINING_ROWS = training_rows(PARAMS)
DROP = object()


def test_project_params_load_and_fit_the_data_and_scikit_learn():
    params, raw = load_params(PARAMS), yaml.safe_load(PARAMS.read_text())  # make regen-check changes some values
    assert params.base.random_state == raw["base"]["random_state"]
    assert params.data_split.test_size == raw["data_split"]["test_size"]
    assert params.train.estimator_name == raw["train"]["estimator_name"] == "logreg"
    assert params.train.cv == raw["train"]["cv"]
    file_grid = raw["train"]["estimators"]["logreg"]["param_grid"]
    assert params.train.param_grid == file_grid and set(file_grid) == {"C", "max_iter", "solver"}
    assert set(params.train.estimators) == {"logreg", "svm", "knn"}
    assert params.evaluate.metrics_path == "reports/metrics.json"
    check_against_data(params, load_iris_frame())


def bad(key: str, value, expected: str) -> tuple[dict, str]:
    """A case that sets `key` to `value`, refused with the key, the value (a grid's: its first) and its type."""
    shown = value[0] if isinstance(value, list) else value
    return {key: value}, f"{key} = {shown!r} ({type(shown).__name__}): {expected}"


INSIDE = "expected a path inside the project"


# The file's edit (keys to set or DROP, the whole text, or None: no file) -> the error after the file's path.
REFUSALS = {
    "test_size-type": bad("data_split.test_size", "0.2", "input should be a valid number"),
    "test_size-above-1": bad("data_split.test_size", 1.5, "input should be less than 1"),
    "test_size-zero": bad("data_split.test_size", 0, "input should be greater than 0"),
    "random_state-type": bad("base.random_state", "42", "input should be a valid integer"),
    "random_state-bool": bad("base.random_state", True, "input should be a valid integer"),
    "cv-too-small": bad("train.cv", 1, "input should be greater than or equal to 2"),
    "unknown-key": bad("base.seed", 1, "extra inputs are not permitted"),
    "unknown-section": bad("extra", {}, "extra inputs are not permitted"),
    "grid-not-a-list": bad("train.estimators.logreg.param_grid.C", 0.1, "input should be a valid list"),
    "log-level": bad("base.log_level", "LOUD", "input should be 'DEBUG', 'INFO', 'WARNING' or 'ERROR'"),
    "path-outside-the-project": bad("train.model_path", "../outside/model.joblib", INSIDE),
    "absolute-path": bad("data_load.dataset_csv", "/tmp/iris-outside.csv", INSIDE),
    "unknown-estimator": (
        {"train.estimator_name": "forest"},
        "train.estimator_name = 'forest': expected an estimator with a grid under train.estimators (logreg, svm, knn)",
    ),
    "estimator-without-a-grid": (
        {"train.estimators.svm": DROP, "train.estimator_name": "svm"},
        "train.estimator_name = 'svm': expected an estimator with a grid under train.estimators (logreg, knn)",
    ),
    "missing-key": ({"data_split.test_size": DROP}, "data_split.test_size is missing"),
    "missing-section": ({"evaluate": DROP}, "evaluate is missing"),
    "malformed-yaml": ("base:\n  random_state: 42\n  log_level: [INFO\n", "not valid YAML at line 4, column 1"),
    "top-level-not-a-mapping": (
        "- just\n- a list\n",
        "the top level = ['just', 'a list'] (list): input should be a valid dictionary",
    ),
    "missing-file": (None, "no such file: expected the project's params file"),
    # What only the data and scikit-learn can tell.
    "more-folds-than-the-smallest-class": bad(
        "train.cv",
        SMALLEST + 1,
        f"expected at most {SMALLEST} folds: the smallest class has {SMALLEST} of the {TRAINING_ROWS} training rows",
    ),
    "test_size-leaves-no-test-rows": bad(
        "data_split.test_size", 0.999, "expected a share that leaves rows on both sides (150 rows: 0 train, 150 test)"
    ),
    "grid-value-refused": bad(
        "train.estimators.logreg.param_grid.C", [-1.0], "expected a value LogisticRegression accepts"
    ),
    "grid-value-of-an-estimator-not-chosen": bad(
        "train.estimators.svm.param_grid.kernel",
        ["cubic"],
        "expected a value SVC accepts (The 'kernel' parameter of SVC must be a str among",
    ),
    "estimator-train-does-not-know": (
        {"train.estimators.forest": {"param_grid": {"n_estimators": [10]}}},
        "train.estimators.forest: expected one of logreg, svm, knn",
    ),
    "grid-key-the-estimator-lacks": (
        {"train.estimators.knn.param_grid.k": [3]},
        "train.estimators.knn.param_grid.k is not a parameter of "
        "KNeighborsClassifier: expected one of algorithm, leaf_size, metric",
    ),
}


@pytest.mark.parametrize(("edit", "expected"), REFUSALS.values(), ids=REFUSALS)
def test_a_bad_params_file_is_refused_naming_file_key_value_and_expectation(tmp_path, edit, expected):
    path = tmp_path / "params.yaml"
    if isinstance(edit, dict):
        data = yaml.safe_load(PARAMS.read_text())
        for key, value in edit.items():
            *parents, last = key.split(".")
            node = functools.reduce(operator.getitem, parents, data)
            node.pop(last) if value is DROP else node.__setitem__(last, value)
        edit = yaml.safe_dump(data, sort_keys=False)
    if edit is not None:
        path.write_text(edit)
    with pytest.raises(ConfigError) as info:
        check_against_data(load_params(path), load_iris_frame(), source=str(path))
    assert str(info.value).startswith(f"{path}: {expected}")


def test_command_line_check_exits_non_zero_with_message(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text(PARAMS.read_text())
    set_param(path, "data_split.test_size", 1.5)
    bad = run([sys.executable, "-m", "iris_pipeline.config", str(path)], tmp_path, check=False)
    assert bad.returncode == 1
    assert "data_split.test_size = 1.5 (float)" in bad.stderr
    run([sys.executable, "-m", "iris_pipeline.config", str(PARAMS)], tmp_path)


@pytest.mark.parametrize(
    ("imports", "may_use"),
    [
        ("from iris_pipeline.config import load_params; load_params(sys.argv[1])", set()),
        ("from iris_pipeline import config, dataset, features, io, logs", {"pandas"}),
    ],
    ids=["reading-params", "featurize-stage"],
)
def test_a_stage_imports_only_what_it_uses(imports, may_use):
    heavy = "print(*sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'scipy', 'matplotlib', 'pandas'}))"
    done = run([sys.executable, "-c", f"import sys; {imports}; {heavy}", str(PARAMS)], REPO_ROOT)
    assert set(done.stdout.split()) == may_use
