"""workbook.params: the lessons change a parameter by setting its key, never by matching old text."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from conftest import REPO_ROOT
from workbook.params import ParamsError, main, set_params


@pytest.fixture
def params(tmp_path: Path) -> Path:
    return Path(shutil.copy(REPO_ROOT / "params.yaml", tmp_path / "params.yaml"))


def test_setting_keys_changes_their_lines_only_and_says_what_changed(params: Path, capsys) -> None:
    before = params.read_text()
    out = params.with_name("params-test.yaml")
    assert main([str(params), "data_split.test_size=0.3", "--output", str(out)]) == 0
    assert params.read_text() == before  # --output leaves the source as it was
    assert yaml.safe_load(out.read_text())["data_split"]["test_size"] == 0.3
    default = yaml.safe_load(before)["train"]["estimators"]["logreg"]["param_grid"]["C"]
    new = [default[0] * 10]  # a value different from the committed default, whatever it is
    key = "train.estimators.logreg.param_grid.C"
    assert set_params(params, {key: new}) == {key: default}
    assert yaml.safe_load(params.read_text())["train"]["estimators"]["logreg"]["param_grid"]["C"] == new
    capsys.readouterr()
    assert main([str(params), "train.estimator_name=svm", "data_split.test_size=0.3"]) == 0  # values read as YAML
    data = yaml.safe_load(params.read_text())
    assert data["train"]["estimator_name"] == "svm" and data["data_split"]["test_size"] == 0.3
    assert capsys.readouterr().out.splitlines() == [
        f"{params}: train.estimator_name: logreg -> svm",
        f"{params}: data_split.test_size: 0.2 -> 0.3",
    ]
    # each changed line in the file's own style (a flow list on one line), its comment kept
    old, new_lines = before.splitlines(), params.read_text().splitlines()
    assert len(old) == len(new_lines), "lines were added or removed"
    changed = [(a, b) for a, b in zip(old, new_lines, strict=True) if a != b]
    assert (f"        C: {default}", f"        C: {new}") in changed and len(changed) == 3
    for line, changed_line in changed:
        assert line.split("#")[1:] == changed_line.split("#")[1:], "a comment changed"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("train.estimator_nme=svm", "params.yaml: no key 'train.estimator_nme' (at train: cv, estimator_name,"),
        ("train.cv.folds=3", "params.yaml: no key 'train.cv.folds' (at train.cv: 3, not a mapping)"),
        ("trian.cv=3", "params.yaml: no key 'trian.cv' (at the top level: base, data_load,"),
        ("train.cv=[3", "'[3' is not a YAML value"),
        ("train.cv", "'train.cv': expected KEY=VALUE"),
    ],
)
def test_a_bad_change_is_refused_with_the_file_and_key_and_nothing_written(params: Path, capsys, change, message):
    before = params.read_text()
    # a good change first: a refused command line writes none of its changes
    assert main([str(params), "train.estimator_name=svm", change]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err, err
    assert params.read_text() == before
    assert sorted(p.name for p in params.parent.iterdir()) == ["params.yaml"]  # no temporary file left


def test_add_creates_only_the_last_part_of_a_key_of_a_file_that_exists(params: Path) -> None:
    assert set_params(params, {"base.seed": 1}, add=True) == {"base.seed": None}
    assert yaml.safe_load(params.read_text())["base"]["seed"] == 1
    with pytest.raises(ParamsError, match=r"no key 'basis\.seed' \(at the top level"):
        set_params(params, {"basis.seed": 1}, add=True)
    with pytest.raises(ParamsError, match=r"nope\.yaml: no such file"):
        set_params(params.with_name("nope.yaml"), {"a": 1})
