"""The pipeline end to end under DVC, in throwaway copies of the project."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import REPO_ROOT, Repo, run

pytestmark = pytest.mark.slow

STAGES = ("check_params", "data_load", "featurize", "data_split", "train", "evaluate")


def test_repro_writes_what_is_committed_and_the_same_bytes_on_every_run(project, reproduced_project):
    """Each output's content, and what reruns after an edit, are checked by lessons 3 and 5 on the same project."""
    project.dvc("repro")
    root = project.root
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

    # Another run from nothing (the shared reproduced project) gave the same bytes in every output, the
    # executed notebooks too (no timestamps: the reproducible engine), so dvc.lock does not churn.
    written = [path for folder in ("data", "models", "reports") for path in sorted((root / folder).rglob("*"))]
    outputs = [Path("dvc.lock")] + [path.relative_to(root) for path in written if path.is_file()]
    assert len(outputs) >= 10, outputs
    for path in outputs:
        assert (root / path).read_bytes() == (reproduced_project.root / path).read_bytes(), path


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
    modules = sorted((project.root / "src/iris_pipeline").glob("*.py"))  # all nine: tests/test_layout.py
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
