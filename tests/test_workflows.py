"""The GitHub Actions workflows: actionlint (its shellcheck and pyflakes passes off, so the
result does not depend on what is installed) finds nothing; each has a top-level
`permissions:` block; no `run:` script holds a `${{ ... }}` (GitHub pastes it into the script,
so a branch name or PR title could inject commands: values go through `env:`); and what lesson 7's
check of the CML workflow (its trigger, permissions, steps and the report its lines build) leaves."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO_ROOT, run

WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.y*ml"))
EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.DOTALL)
CML = yaml.safe_load((REPO_ROOT / ".github" / "workflows" / "cml.yaml").read_text())
(CML_STEPS,) = [job["steps"] for job in CML["jobs"].values()]
REPORT = 'echo "## Metrics" > report.md'
ACTIONLINT = [str(Path(sys.executable).parent / "actionlint"), "-no-color", "-shellcheck=", "-pyflakes="]


def run_scripts(workflow: dict) -> list[tuple[str, str]]:
    """(where, script) for every `run:` in the workflow's jobs."""
    return [
        (f"jobs.{job_id} / {step.get('name', f'step {index + 1}')}", str(step["run"]))
        for job_id, job in (workflow.get("jobs") or {}).items()
        for index, step in enumerate(job.get("steps") or [])
        if isinstance(step, dict) and "run" in step
    ]


def test_actionlint_finds_nothing_and_would_catch_a_broken_workflow(tmp_path: Path) -> None:
    assert "ci.yaml" in [path.name for path in WORKFLOWS]
    result = run([*ACTIONLINT, *map(str, WORKFLOWS)], REPO_ROOT, check=False)
    assert result.returncode == 0 and not result.stdout and not result.stderr, result.stdout + result.stderr
    broken = tmp_path / "broken.yaml"  # a typo'd key and a bad expression
    broken.write_text(
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    step:\n      - run: echo ${{ github.nope }}\n"
    )
    result = run([*ACTIONLINT, str(broken)], REPO_ROOT, check=False)
    assert result.returncode != 0 and "step" in result.stdout, result.stdout


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_top_level_permissions_and_no_expressions_in_run_scripts(path: Path) -> None:
    workflow = yaml.safe_load(path.read_text())
    assert workflow.get("permissions") not in (None, "write-all"), f"permissions: {workflow.get('permissions')}"
    found = [f"{where}: {match}" for where, script in run_scripts(workflow) for match in EXPRESSION.findall(script)]
    assert not found, '${{ }} inside run: scripts (move each into env: and use "$NAME"):\n' + "\n".join(found)
    injected = {"jobs": {"a": {"steps": [{"name": "x", "run": 'echo "${{ github.head_ref }}"'}]}}}  # the check can fail
    assert [EXPRESSION.findall(s) for _, s in run_scripts(injected)] == [["${{ github.head_ref }}"]]


def step(*, runs: str = "", uses: str = "") -> tuple[int, dict]:
    """The position and the one step of the CML job with a line starting `runs`, or using `uses`."""
    (found,) = [
        (index, step)
        for index, step in enumerate(CML_STEPS)
        if (runs and any(line.strip().startswith(runs) for line in str(step.get("run", "")).splitlines()))
        or (uses and str(step.get("uses", "")).startswith(uses + "@"))
    ]
    return found


def test_cml_job_keeps_the_workflows_permissions_and_sets_up_python_and_the_tools() -> None:
    assert not [job for job in CML["jobs"].values() if "permissions" in job], "a job widens the permissions"
    python = step(uses="actions/setup-python")[1]["with"]
    assert (python["python-version"], python["cache"]) == ("3.11", "pip")
    assert '"$PWD/.venv/bin" >> "$GITHUB_PATH"' in step(runs="make setup")[1]["run"], "later steps need its dvc"


def test_cml_workflow_pulls_with_secrets_then_reproduces_and_reports_against_the_base() -> None:
    (pull_at, pull), (repro_at, _) = step(runs="dvc pull"), step(runs="dvc repro")
    (report_at, report), (post_at, _) = step(runs=REPORT), step(runs="cml comment create")
    cml_at = step(uses="iterative/setup-cml")[0]
    assert pull_at < repro_at < report_at < post_at and cml_at < post_at
    assert pull["env"] == {
        name: f"${{{{ secrets.{name} }}}}" for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
    }
    assert not [s for s in CML_STEPS if "echo" in str(s.get("run", "")) and "TOKEN" in str(s.get("run", ""))]
    # Lesson 7 runs the report's lines with BASE=main: here, that they compare with $BASE, not a branch.
    lines = [line.strip() for line in report["run"].strip().splitlines()]
    assert [line for line in lines if line.startswith("dvc ")] == [
        'dvc metrics diff "$BASE" --all --md >> report.md',
        'dvc params diff "$BASE" --md >> report.md',
        "dvc dag --md >> report.md",
    ]
