"""The pipeline end to end under DVC, in throwaway copies of the project."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from conftest import COMMITTED_F1, REPO_ROOT, Repo, run, set_param
from iris_pipeline.features import FEATURES_SCHEMA

pytestmark = pytest.mark.slow

STAGES = ("check_params", "data_load", "featurize", "data_split", "train", "evaluate")


def test_repro_builds_every_output_deterministically_and_reruns_only_what_changed(project, reproduced_project):
    out = project.dvc("repro").stdout
    for stage in STAGES:
        assert f"Running stage '{stage}'" in out

    root = project.root
    assert pd.read_csv(root / "data/raw/iris.csv").shape == (150, 5)
    assert pd.read_csv(root / "data/processed/featured_iris.csv").shape == (150, len(FEATURES_SCHEMA))
    assert len(pd.read_csv(root / "data/processed/train_iris.csv")) == 120
    assert len(pd.read_csv(root / "data/processed/test_iris.csv")) == 30
    assert (root / "models/model.joblib").stat().st_size > 0
    assert json.loads((root / "reports/metrics.json").read_text()) == {"f1": COMMITTED_F1}
    confusion = pd.read_csv(root / "reports/confusion_matrix_data.csv")
    assert list(confusion.columns) == ["y_true", "predicted"] and len(confusion) == 30
    assert (root / "reports/confusion_matrix.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (root / "reports/runs/check_params.txt").read_text() == "params.yaml: ok\n"

    # A clone stays clean: the committed files (dvc.lock, reports/, stages/) are what a run
    # writes, and the .gitignore files DVC writes hold the committed entries, no more.
    status = project.git("status", "--porcelain", "--untracked-files=all").stdout.splitlines()
    ignores = run(
        ["git", "ls-files", "data/*.gitignore", "models/*.gitignore", "reports/*.gitignore"], REPO_ROOT
    ).stdout.split()
    assert sorted(status) == [f"?? {path}" for path in sorted(ignores)]
    for path in ignores:
        assert set((root / path).read_text().split()) == set((REPO_ROOT / path).read_text().split()), path

    shown = json.loads(project.dvc("metrics", "show", "--json").stdout)
    assert shown[""]["data"]["reports/metrics.json"]["data"] == {"f1": COMMITTED_F1}
    assert "Data and pipelines are up to date." in project.dvc("repro").stdout

    # Another run from nothing (the shared reproduced project) gave the same bytes in every output, the
    # executed notebooks too (no timestamps: the reproducible engine), so dvc.lock does not churn.
    written = [path for folder in ("data", "models", "reports") for path in sorted((root / folder).rglob("*"))]
    outputs = [Path("dvc.lock")] + [path.relative_to(root) for path in written if path.is_file()]
    assert len(outputs) >= 10, outputs
    for path in outputs:
        assert (root / path).read_bytes() == (reproduced_project.root / path).read_bytes(), path

    # A param only `train` reads: the check reruns (the file changed), the three stages before train are skipped.
    set_param(root / "params.yaml", "train.estimators.logreg.param_grid.C", [0.1])
    out = project.dvc("repro").stdout
    for stage in ("data_load", "featurize", "data_split"):
        assert f"Stage '{stage}' didn't change, skipping" in out
    for stage in ("check_params", "train", "evaluate"):
        assert f"Running stage '{stage}'" in out
    f1 = json.loads(project.dvc("metrics", "diff", "--json").stdout)["reports/metrics.json"]["f1"]
    assert f1["old"] == COMMITTED_F1 and f1["new"] != f1["old"]


def package_changed_in(project: Repo) -> dict[str, str]:
    """`dvc status` of the package dependency, by stage (data is not built here, so other deps differ)."""
    status = json.loads(project.dvc("status", "--json").stdout)
    return {
        stage: change["changed deps"]["src/iris_pipeline"]
        for stage, changes in status.items()
        for change in changes
        if isinstance(change, dict) and "src/iris_pipeline" in change.get("changed deps", {})
    }


def test_a_change_to_any_module_of_the_package_reruns_every_stage(project):
    """Stages depend on src/iris_pipeline as one folder: no module list to keep by hand."""
    assert package_changed_in(project) == {}  # the committed dvc.lock matches the committed code
    modules = sorted((project.root / "src/iris_pipeline").glob("*.py"))
    assert {m.name for m in modules} >= {"logs.py", "config.py", "io.py", "plots.py"}
    for module in modules:
        original = module.read_text()
        module.write_text(original + "# changed\n")
        assert package_changed_in(project) == dict.fromkeys(STAGES, "modified"), module.name
        module.write_text(original)
    # Python's caches are no change (.dvcignore): importing the package reruns nothing.
    cache = project.root / "src/iris_pipeline/__pycache__"
    cache.mkdir()
    (cache / "config.cpython-311.pyc").write_bytes(b"\0")
    assert package_changed_in(project) == {}
