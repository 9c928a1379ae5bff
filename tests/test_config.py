"""The typed params loader: the real file loads; each kind of bad input gets one clear error."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO_ROOT, run, set_param, training_rows
from iris_pipeline.config import ConfigError, check_against_data, load_params, parse_params
from iris_pipeline.dataset import load_iris_frame

PARAMS = REPO_ROOT / "params.yaml"
SMALLEST, TRAINING_ROWS = training_rows(PARAMS)


@pytest.fixture
def raw() -> dict:
    return yaml.safe_load(PARAMS.read_text())


def write(tmp_path: Path, data) -> Path:
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    return path


def test_project_params_load_with_course_defaults():
    params = load_params(PARAMS)
    raw = yaml.safe_load(PARAMS.read_text())  # the values as the file holds them (make regen-check changes some)
    assert params.base.random_state == raw["base"]["random_state"]
    assert params.data_split.test_size == raw["data_split"]["test_size"]
    assert params.train.estimator_name == raw["train"]["estimator_name"] == "logreg"
    assert params.train.cv == raw["train"]["cv"]
    # The grid as the file holds it (a maintainer may change the default C: make regen-check does).
    file_grid = yaml.safe_load(PARAMS.read_text())["train"]["estimators"]["logreg"]["param_grid"]
    assert params.train.param_grid == file_grid and set(file_grid) == {"C", "max_iter", "solver"}
    assert set(params.train.estimators) == {"logreg", "svm", "knn"}
    assert params.evaluate.metrics_path == "reports/metrics.json"


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda d: d["data_split"].__setitem__("test_size", "0.2"),
            "data_split.test_size = '0.2' (str): input should be a valid number",
        ),
        (
            lambda d: d["data_split"].__setitem__("test_size", 1.5),
            "data_split.test_size = 1.5 (float): input should be less than 1",
        ),
        (
            lambda d: d["data_split"].__setitem__("test_size", 0),
            "data_split.test_size = 0 (int): input should be greater than 0",
        ),
        (
            lambda d: d["base"].__setitem__("random_state", "42"),
            "base.random_state = '42' (str): input should be a valid integer",
        ),
        (
            lambda d: d["base"].__setitem__("random_state", True),
            "base.random_state = True (bool): input should be a valid integer",
        ),
        (lambda d: d["train"].__setitem__("cv", 1), "train.cv = 1 (int): input should be greater than or equal to 2"),
        (
            lambda d: d["train"].__setitem__("estimator_name", "forest"),
            "train.estimator_name = 'forest': expected an estimator with a grid under train.estimators (",
        ),
        (lambda d: d["data_split"].pop("test_size"), "data_split.test_size is missing"),
        (lambda d: d.pop("evaluate"), "evaluate is missing"),
        (
            lambda d: d["featurize"].__setitem__("target", "x"),
            "featurize.target = 'x' (str): extra inputs are not permitted",
        ),
        (lambda d: d.__setitem__("extra", {}), "extra = {} (dict): extra inputs are not permitted"),
        (
            lambda d: d["train"]["estimators"]["logreg"]["param_grid"].__setitem__("C", 0.1),
            "train.estimators.logreg.param_grid.C = 0.1 (float): input should be a valid list",
        ),
        (
            lambda d: d["base"].__setitem__("log_level", "LOUD"),
            "base.log_level = 'LOUD' (str): input should be 'DEBUG', 'INFO', 'WARNING' or 'ERROR'",
        ),
    ],
    ids=[
        "test_size-type",
        "test_size-above-1",
        "test_size-zero",
        "random_state-type",
        "random_state-bool",
        "cv-too-small",
        "unknown-estimator",
        "missing-key",
        "missing-section",
        "unknown-key",
        "unknown-section",
        "grid-not-a-list",
        "log-level",
    ],
)
def test_bad_values_name_file_key_value_and_expectation(tmp_path, raw, mutate, expected):
    data = copy.deepcopy(raw)
    mutate(data)
    path = write(tmp_path, data)
    with pytest.raises(ConfigError) as info:
        load_params(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert expected in message


def test_estimator_without_a_grid_is_rejected(raw):
    data = copy.deepcopy(raw)
    del data["train"]["estimators"]["svm"]
    data["train"]["estimator_name"] = "svm"
    with pytest.raises(ConfigError, match=r"train.estimator_name = 'svm': expected an estimator with a grid"):
        parse_params(data)


def test_malformed_yaml_names_file_and_line(tmp_path):
    path = write(tmp_path, "base:\n  random_state: 42\n  log_level: [INFO\n")
    with pytest.raises(ConfigError, match=r"params.yaml: not valid YAML at line \d+, column \d+"):
        load_params(path)


def test_top_level_must_be_a_mapping(tmp_path):
    path = write(tmp_path, "- just\n- a list\n")
    with pytest.raises(ConfigError, match=r"params.yaml: the top level = .*: input should be a valid dictionary"):
        load_params(path)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match=r"nope.yaml: no such file"):
        load_params(tmp_path / "nope.yaml")


def test_command_line_check_exits_non_zero_with_message(tmp_path, raw):
    data = copy.deepcopy(raw)
    data["data_split"]["test_size"] = 1.5
    path = write(tmp_path, data)
    bad = run([sys.executable, "-m", "iris_pipeline.config", str(path)], tmp_path, check=False)
    assert bad.returncode == 1
    assert "data_split.test_size = 1.5 (float)" in bad.stderr
    run([sys.executable, "-m", "iris_pipeline.config", str(PARAMS)], tmp_path)


def test_the_project_params_fit_the_data_and_scikit_learn():
    check_against_data(load_params(PARAMS), load_iris_frame())


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        (
            "train.cv",
            SMALLEST + 1,
            f"train.cv = {SMALLEST + 1} (int): expected at most {SMALLEST} folds: "
            f"the smallest class has {SMALLEST} of the {TRAINING_ROWS}",
        ),
        ("data_split.test_size", 0.999, "data_split.test_size = 0.999 (float): expected a share that leaves rows"),
        (
            "train.estimators.svm.param_grid.kernel",
            ["cubic"],
            "train.estimators.svm.param_grid.kernel = 'cubic' (str): "
            "expected a value SVC accepts (The 'kernel' parameter of SVC must be a str among",
        ),
        (
            "train.estimators.forest",
            {"param_grid": {"n_estimators": [10]}},
            "train.estimators.forest: expected one of logreg, svm, knn",
        ),
        (
            "train.estimators.knn.param_grid.k",
            [3],
            "train.estimators.knn.param_grid.k is not a parameter of "
            "KNeighborsClassifier: expected one of algorithm, leaf_size, metric",
        ),
    ],
)
def test_values_the_data_or_scikit_learn_refuse_name_their_key(tmp_path, key, value, expected):
    path = tmp_path / "params.yaml"
    path.write_text(PARAMS.read_text())
    set_param(path, key, value)
    with pytest.raises(ConfigError) as info:
        check_against_data(load_params(path), load_iris_frame(), source="params.yaml")
    assert str(info.value).startswith(f"params.yaml: {expected}")


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
