"""What the step-branch tests (test_steps.py, test_build_steps.py, test_step_checks.py)
share: the steps' names and a fresh clone of the course that runs the builder, as a learner
who just cloned it does (so only committed files take part)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

from conftest import REPO_ROOT, Repo

STEPS = [step["name"] for step in yaml.safe_load((REPO_ROOT / "course/steps.yaml").read_text())["steps"]]
SOLUTION = "_SOLUTION"
CHAIN = [name + SOLUTION for name in STEPS]  # every step has an exercise: its solution is the chain commit
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def course_clone(base: Path, name: str = "course") -> Repo:
    """A fresh clone of the course, git and DVC isolated, with commit dates as a learner has them.

    conftest's isolation fixes GIT_*_DATE; a learner has none, and the builder's own
    fixed dates must be what makes the commit ids the same everywhere.
    """
    repo = Repo.clone_of_this_repo(base, name)
    repo.env = {k: v for k, v in repo.env.items() if k not in ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE", "PYTHONPATH")}
    return repo


def steps(repo: Repo, *args: str, check: bool = True):
    """The documented command, `python course/build_steps.py`, with the clone's own copy."""
    return repo.run(sys.executable, "course/build_steps.py", *args, check=check)


def git(repo: Repo, *args: str, cwd: Path | None = None) -> str:
    return repo.run("git", *args, cwd=cwd).stdout.strip()
