"""The quick parts of the maintainer's loop (course/regen.py): its refusal, and the changes
`make regen-check` makes (which runs the loop itself, in a CI job of its own)."""

from __future__ import annotations

import json
import runpy
import shutil
import subprocess

import pytest

import regen
from conftest import REPO_ROOT, course_clone, isolated_env, run, steps
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


def test_what_a_change_must_show_is_found_on_head(tmp_path):
    """On HEAD, with its step branches built, the texts the changes' checks look for are there."""
    clone = course_clone(tmp_path)
    steps(clone, "build", "--no-steps-dir")
    before = json.loads((clone.root / "reports/metrics.json").read_text())
    assert regen.shows_new_score(clone.root, before) == [
        f"reports/metrics.json is unchanged ({before}): the change did not reach the score"
    ]
    assert regen.shows_new_c(clone.root, before) == []


def test_the_default_c_change_is_a_change(tmp_path):
    assert regen.new_c(REPO_ROOT) != regen.default_c(REPO_ROOT)
    # Where a maintainer made [0.01] the default (as regen-check's own clone has it), it still changes.
    (tmp_path / "params.yaml").write_text("train:\n  estimators:\n    logreg:\n      param_grid:\n        C: [0.01]\n")
    assert regen.new_c(tmp_path) == [0.001]


def test_regen_check_is_documented_and_wired():
    make = subprocess.run(["make", "-n", "regen", "regen-check"], cwd=REPO_ROOT, capture_output=True, text=True)
    assert "course/regen.py regen" in make.stdout and "course/regen.py check" in make.stdout
    assert "make regen-check" in (REPO_ROOT / ".github/workflows/ci.yaml").read_text()
    assert "make regen" in (REPO_ROOT / "README.md").read_text()
