"""The typed params loader: the real file loads; each kind of bad input gets one clear error."""

from __future__ import annotations

import functools
import operator
import os
import sys

import pytest
import yaml
from benchmarks.pipeline_overhead import MAY_IMPORT, import_cost

from conftest import DROP, REFUSALS, REPO_ROOT, run, set_param
from iris_pipeline.config import ConfigError, check_against_data, load_params
from iris_pipeline.dataset import load_iris_frame

PARAMS = REPO_ROOT / "params.yaml"


def test_project_params_load_and_fit_the_data_and_scikit_learn():
    params, raw = load_params(PARAMS), yaml.safe_load(PARAMS.read_text())  # make regen-check changes some values
    assert params.model_dump() == raw
    assert params.train.estimator_name == "logreg" and set(params.train.estimators) == {"logreg", "svm", "knn"}
    assert params.train.param_grid == raw["train"]["estimators"]["logreg"]["param_grid"]
    assert set(params.train.param_grid) == {"C", "max_iter", "solver"}
    assert params.evaluate.metrics_path == "reports/metrics.json"
    check_against_data(params, load_iris_frame())


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


@pytest.mark.parametrize("stage", ["load_params", "featurize"])
def test_a_stage_imports_only_what_it_uses(stage):
    """The import lines of the stage's notebook (or reading the params alone), as `make bench` measures them."""
    assert import_cost(stage, REPO_ROOT, dict(os.environ))[1] == set(MAY_IMPORT[stage])
