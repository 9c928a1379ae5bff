"""The typed params loader: the real file loads; each kind of bad input gets one clear error."""

from __future__ import annotations

import functools
import operator
import os

import pytest
import yaml
from benchmarks.pipeline_overhead import MAY_IMPORT, import_cost

from conftest import DROP, REFUSALS, REPO_ROOT
from iris_pipeline.config import ConfigError, check_against_data, load_params
from iris_pipeline.dataset import load_iris_frame

PARAMS = REPO_ROOT / "params.yaml"


def test_project_params_load_as_written():
    """Every value as written. Checked elsewhere: the file against the data (the first stage, whose "ok"
    tests/test_pipeline.py reads), the chosen grid and the paths the loader builds (lesson 3)."""
    params, raw = load_params(PARAMS), yaml.safe_load(PARAMS.read_text())  # make regen-check changes some values
    assert params.model_dump() == raw
    assert set(params.train.param_grid) == {"C", "max_iter", "solver"}


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


@pytest.mark.parametrize("stage", ["load_params", "featurize"])
def test_a_stage_imports_only_what_it_uses(stage):
    """The import lines of the stage's notebook (or reading the params alone), as `make bench` measures them."""
    assert import_cost(stage, REPO_ROOT, dict(os.environ))[1] == set(MAY_IMPORT[stage])
