"""The CML report builder (`python -m workbook.pr_report`) and the workflow that runs it.

The end-to-end tests work as CI does: the project's committed pipeline files on `main`
(with the committed `reports/metrics.json` as the base's metrics), then a change of `C`
in the workspace, `dvc repro`, and the report compared with `main`.
"""

from __future__ import annotations

import importlib.util
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import COMMITTED_F1, REPO_ROOT, Repo, copy_of, isolated_env, pipeline_f1, run, set_param

WORKFLOW = REPO_ROOT / ".github" / "workflows" / "cml.yaml"
C_KEY = "train.estimators.logreg.param_grid.C"
COMMITTED_PARAMS = yaml.safe_load((REPO_ROOT / "params.yaml").read_text())
COMMITTED_C = COMMITTED_PARAMS["train"]["estimators"]["logreg"]["param_grid"]["C"]
NEW_C = [0.1]  # the course's example change (lessons 3, 5 and 7)
SHOWN = 1e-5  # `dvc metrics diff` rounds to 5 decimals by default (0.930556 shows as 0.93056)


def _report(cwd: Path, env: dict[str, str], *args: str):
    return run([sys.executable, "-m", "workbook.pr_report", *args], cwd, env, check=False)


@pytest.fixture(scope="module")
def changed_project(tmp_path_factory: pytest.TempPathFactory, reproduced_project: Repo) -> Repo:
    """The committed pipeline files reproduced on main, then C changed to NEW_C and the pipeline rerun."""
    repo = copy_of(reproduced_project, tmp_path_factory.mktemp("report"))
    params_file = repo.root / "params.yaml"
    before = yaml.safe_load(params_file.read_text())
    set_param(params_file, C_KEY, NEW_C)  # by key; it fails if C is NEW_C already
    after = yaml.safe_load(params_file.read_text())
    # The change took effect, and it is the only one (DVC agrees).
    before["train"]["estimators"]["logreg"]["param_grid"]["C"] = NEW_C
    assert after == before
    changed = yaml.safe_load(repo.dvc("params", "diff", "main", "--json").stdout)
    assert changed == {"params.yaml": {C_KEY: {"old": str(COMMITTED_C), "new": str(NEW_C)}}}
    repo.dvc("repro", "-q")
    return repo


@pytest.fixture(scope="module")
def report_text(changed_project: Repo) -> str:
    result = _report(changed_project.root, changed_project.env, "--base", "main", "--out", "report.md")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "wrote report.md"
    return (changed_project.root / "report.md").read_text()


def _table_rows(markdown: str, first_cell: str) -> list[list[str]]:
    """The cells of each Markdown table row in `markdown` whose first cell is `first_cell`."""
    rows = []
    for line in markdown.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.lstrip().startswith("|") and cells[0] == first_cell:
            rows.append(cells)
    return rows


@pytest.mark.slow
def test_report_has_dvcs_metrics_diff_table_with_both_f1_values(report_text: str, changed_project: Repo) -> None:
    # `dvc metrics diff main --all --md`: a header naming both sides, then one row per metric.
    header = _table_rows(report_text, "Path")[0]
    assert header == ["Path", "Metric", "main", "workspace", "Change"], header
    (row,) = [cells for cells in _table_rows(report_text, "reports/metrics.json") if cells[1] == "f1"]
    old, new, change = (float(cell) for cell in row[2:])
    # main's score is the committed one; the workspace's is what the package's functions give
    # for the changed params (computed in memory, without DVC)
    new_f1 = pipeline_f1(changed_project.root / "params.yaml")
    assert old == pytest.approx(COMMITTED_F1, abs=SHOWN) and new == pytest.approx(new_f1, abs=SHOWN)
    assert old != new
    assert change == pytest.approx(new - old, abs=SHOWN) and change > 0  # C=0.1 scores higher (lessons 3, 5, 7)


@pytest.mark.slow
def test_report_has_params_diff(report_text: str) -> None:
    (row,) = _table_rows(report_text, "params.yaml")
    assert row == ["params.yaml", C_KEY, str(COMMITTED_C), str(NEW_C)], row


@pytest.mark.slow
def test_report_references_the_confusion_matrix_by_relative_path(report_text: str, changed_project: Repo) -> None:
    assert "![Confusion matrix](reports/confusion_matrix.png)" in report_text
    assert (changed_project.root / "reports" / "confusion_matrix.png").is_file()


@pytest.mark.slow
def test_report_has_the_pipeline_dag(report_text: str) -> None:
    assert "```mermaid" in report_text
    for stage in ("data_load", "featurize", "data_split", "train", "evaluate"):
        assert f'["{stage}"]' in report_text


@pytest.mark.slow
def test_image_path_is_relative_to_the_report_file(changed_project: Repo) -> None:
    result = _report(changed_project.root, changed_project.env, "--base", "main", "--out", "out/report.md")
    assert result.returncode == 0, result.stderr
    text = (changed_project.root / "out" / "report.md").read_text()
    assert "![Confusion matrix](../reports/confusion_matrix.png)" in text


def _without_network(cmd: list[str]) -> list[str]:
    """`cmd` in a network namespace of its own (no interface but loopback), where Linux allows it."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-rn", "true"], capture_output=True).returncode == 0:
        return [unshare, "-rn", *cmd]
    return cmd


@pytest.mark.slow
def test_report_needs_no_network(changed_project: Repo, report_text: str) -> None:
    # Every proxy is a dead port and, where the kernel lets us, there is no network at all.
    dead = "http://127.0.0.1:9"
    env = {**changed_project.env, "NO_PROXY": "", "no_proxy": ""}
    env.update({name: dead for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")})
    cmd = _without_network([sys.executable, "-m", "workbook.pr_report", "--base", "main", "--out", "offline.md"])
    result = run(cmd, changed_project.root, env, check=False)
    assert result.returncode == 0, result.stderr
    assert (changed_project.root / "offline.md").read_text() == report_text


@pytest.fixture
def bare_project(tmp_path: Path) -> Repo:
    """A git + DVC repo with one commit and no pipeline run (fast)."""
    return Repo.copy_of_project(tmp_path, files=("params.yaml", "dvc.yaml"))


def test_report_on_a_project_with_nothing_to_compare_says_so(bare_project: Repo) -> None:
    # DVC prints a bare table header when there is no row: the report says it in words.
    result = _report(bare_project.root, bare_project.env, "--base", "main")
    assert result.returncode == 0, result.stderr
    assert "reports/confusion_matrix.png not found" in result.stderr
    text = (bare_project.root / "report.md").read_text()
    assert "No metrics found in the base revision or the workspace." in text
    assert "No parameter changed." in text
    assert "_No picture at `reports/confusion_matrix.png`" in text
    assert "| Path" not in text


def test_report_passes_on_dvcs_warning_when_the_base_has_no_metrics(bare_project: Repo) -> None:
    # The pitfall of the original course: metrics.json never committed, nothing to diff against.
    (bare_project.root / "reports").mkdir()
    shutil.copy(REPO_ROOT / "reports" / "metrics.json", bare_project.root / "reports" / "metrics.json")
    result = _report(bare_project.root, bare_project.env, "--base", "main")
    assert result.returncode == 0, result.stderr
    text = (bare_project.root / "report.md").read_text()
    (row,) = _table_rows(text, "reports/metrics.json")
    assert row[1:] == ["f1", "-", str(round(COMMITTED_F1, 5)), "-"], row  # DVC shows 5 decimals
    assert "> DVC failed to load some metrics for following revisions: 'main'." in text


def test_unknown_base_revision_is_a_clear_error(bare_project: Repo) -> None:
    result = _report(bare_project.root, bare_project.env, "--base", "no-such-branch")
    assert result.returncode == 1
    assert "unknown base revision 'no-such-branch'" in result.stderr
    assert not (bare_project.root / "report.md").exists()


def test_outside_a_dvc_project_is_a_clear_error(tmp_path: Path) -> None:
    result = _report(tmp_path, isolated_env(tmp_path), "--base", "main")
    assert result.returncode == 1
    assert "not a DVC project" in result.stderr and str(tmp_path) in result.stderr
    assert not (tmp_path / "report.md").exists()


def test_missing_base_argument_is_a_usage_error(tmp_path: Path) -> None:
    result = _report(tmp_path, isolated_env(tmp_path))
    assert result.returncode == 2
    assert "--base" in result.stderr


# The workflow (actionlint, top-level permissions and no expressions in scripts are
# checked for every workflow by tests/test_workflows.py) ---------------------------------


def _workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def _steps() -> list[dict]:
    return [step for job in _workflow()["jobs"].values() for step in job["steps"]]


def test_cml_workflow_runs_on_pull_requests_with_least_permissions() -> None:
    workflow = _workflow()
    assert "pull_request" in workflow[True]  # YAML 1.1 reads the key `on` as True
    assert workflow["permissions"] == {"contents": "read", "pull-requests": "write"}
    for job in workflow["jobs"].values():
        assert "permissions" not in job, "a job must not widen the workflow's permissions"


def test_cml_workflow_steps() -> None:
    steps = _steps()
    checkout = next(step for step in steps if step.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0
    python = next(step for step in steps if step.get("uses", "").startswith("actions/setup-python@"))
    assert python["with"]["python-version"] == "3.11" and python["with"]["cache"] == "pip"
    report = next(step for step in steps if "workbook.pr_report" in step.get("run", ""))
    assert report["env"]["BASE_REF"] == "${{ github.base_ref }}"
    assert any(step.get("uses", "").startswith("iterative/setup-cml@") for step in steps)
    comment = next(step for step in steps if "cml comment create" in step.get("run", ""))
    assert comment["env"]["REPO_TOKEN"] == "${{ secrets.GITHUB_TOKEN }}"
    assert not any("echo" in step.get("run", "") and "TOKEN" in step.get("run", "") for step in steps)


def test_cml_workflow_runs_the_report_module_that_exists() -> None:
    report = next(step for step in _steps() if "pr_report" in step.get("run", ""))
    words = shlex.split(report["run"])
    module = words[words.index("-m") + 1]
    assert module == "workbook.pr_report"
    assert importlib.util.find_spec(module) is not None, f"the workflow runs {module}, which does not import"
    assert words[words.index("--out") + 1] == "report.md"
    comment = next(step for step in _steps() if "cml comment create" in step.get("run", ""))
    assert shlex.split(comment["run"])[-1] == "report.md", "CML must post the file the report step wrote"
