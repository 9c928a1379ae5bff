"""The quick parts of the maintainer's loop (course/regen.py): its refusal, and the changes
`make regen-check` makes (which runs the loop itself, in a CI job of its own)."""

from __future__ import annotations

import runpy
import shutil
import subprocess

import pytest

import regen
from conftest import REPO_ROOT, isolated_env, run
from iris_pipeline.features import RATIO_FEATURES


def test_regen_refuses_uncommitted_work(tmp_path, monkeypatch):
    for key, value in isolated_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    run(["git", "init", "-q", "repo"], tmp_path)
    (tmp_path / "repo" / "params.yaml").write_text("a: 1\n")
    with pytest.raises(regen.RegenError, match=r"(?s)\?\? params\.yaml.*clone HEAD.*ALLOW_DIRTY=1"):
        regen.regen(tmp_path / "repo")


def test_the_new_feature_change_applies_to_the_package(tmp_path):
    (tmp_path / "src/iris_pipeline").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "src/iris_pipeline/features.py", tmp_path / "src/iris_pipeline")
    regen.add_feature(tmp_path)
    ratios = runpy.run_path(str(tmp_path / "src/iris_pipeline/features.py"))["RATIO_FEATURES"]
    assert ratios == {**RATIO_FEATURES, "sepal_width_to_petal_width": ("sepal_width", "petal_width")}


def test_the_default_c_change_is_a_change(tmp_path):
    """[0.01], or [0.001] where a maintainer made [0.01] the default (as regen-check's own clone has it)."""
    grid = "train:\n  estimators:\n    logreg:\n      param_grid:\n        C: "
    for default, new in (([1.0], [0.01]), ([0.01], [0.001])):
        (tmp_path / "params.yaml").write_text(f"{grid}{default}\n")
        assert regen.new_c(tmp_path) == new


def test_regen_check_is_documented_and_wired():
    make = subprocess.run(["make", "-n", "regen", "regen-check"], cwd=REPO_ROOT, capture_output=True, text=True)
    assert "course/regen.py regen" in make.stdout and "course/regen.py check" in make.stdout
    assert "make regen-check" in (REPO_ROOT / ".github/workflows/ci.yaml").read_text()
    assert "make regen" in (REPO_ROOT / "README.md").read_text()
