"""What the step-branch tests share: the steps, a clone of the course with them built,
and a learner's steps folder on one branch that runs `make check` there.

The branches are those of `python course/build_steps.py` (course/steps.yaml), built in a
temporary `git clone` of this repository, so only committed files take part, as for a
learner who just cloned the course.
"""

from __future__ import annotations

import hashlib
import os
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


def built_course(base: Path) -> Repo:
    """A clone of the course with its step branches built (no steps folder)."""
    clone = course_clone(base)
    steps(clone, "build", "--no-steps-dir")
    return clone


def tree_digest(root: Path) -> dict[str, str]:
    """Every file and link under `root` (ignored ones too, not .git) with a hash of its content."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git" and not (Path(dirpath) / d).is_symlink()]
        for name in filenames + [d for d in os.listdir(dirpath) if (Path(dirpath) / d).is_symlink()]:
            path = Path(dirpath) / name
            key = str(path.relative_to(root))
            found[key] = (
                "link:" + os.readlink(path) if path.is_symlink() else hashlib.sha256(path.read_bytes()).hexdigest()
            )
    return found


class Learner:
    """A learner's steps folder on step `step`'s branch (its exercise, or its solution): a
    worktree of the course clone on a branch of the learner's own, with the course's .venv."""

    def __init__(self, course: Repo, tmp_path: Path, step: int, solution: bool = False):
        self.course, self.root = course, tmp_path / f"step{step}"
        self.branch = f"my-{tmp_path.name}"
        self.step = STEPS[step - 1]
        git(
            course,
            "worktree",
            "add",
            "-q",
            "-b",
            self.branch,
            str(self.root),
            self.step + (SOLUTION if solution else ""),
        )
        (self.root / ".venv").symlink_to(REPO_ROOT / ".venv", target_is_directory=True)
        self.env = {
            "PATH": f"{REPO_ROOT / '.venv' / 'bin'}{os.pathsep}{course.env['PATH']}",
            "PYTHONPATH": str(self.root / "src"),
        }

    def run(self, *command: str, check: bool = True):
        return self.course.run(*command, cwd=self.root, check=check, **self.env)

    def check(self) -> tuple[int, str]:
        """`make check`, asserting that it changes nothing in the folder; (exit status, output)."""
        before = tree_digest(self.root)
        result = self.run("make", "-s", "check", check=False)
        assert tree_digest(self.root) == before, "make check changed the learner's folder"
        return result.returncode, ANSI.sub("", result.stdout + result.stderr)

    def passes(self) -> None:
        status, output = self.check()
        assert status == 0 and "[FAIL]" not in output and "done: every check passed" in output, output

    def fails(self, *named: str) -> str:
        """Not done, one line per check, and each failed piece named with its hint; the output."""
        status, output = self.check()
        assert status != 0 and "not done yet" in output and "[FAIL]" in output, output
        assert "expected:" in output and "found:" in output and "hint:" in output, output
        for text in named:
            assert text in output, f"{text!r} not in:\n{output}"
        return output

    def solve(self) -> None:
        """Apply the solution: the files that differ from the `_SOLUTION` twin, uncommitted."""
        changed = git(self.course, "diff", "--name-only", "HEAD", self.step + SOLUTION, cwd=self.root).split()
        assert changed, self.step
        self.run("git", "checkout", self.step + SOLUTION, "--", *changed)

    def commit(self, message: str) -> None:
        self.run("git", "add", "-A")
        self.run("git", "commit", "-q", "-m", message)

    def broken(self, path: str, solution: str, wrong: str, *named: str) -> None:
        """The solution with one plausible mistake (`solution` replaced by `wrong` in `path`) fails, naming `named`."""
        file = self.root / path
        text = file.read_text()
        assert solution in text, f"{path} no longer holds {solution!r}"
        file.write_text(text.replace(solution, wrong))
        self.fails(*named)


def exercise_then_solution(course: Repo, tmp_path: Path, step: int, named: list[str]) -> None:
    """The exercise branch as generated fails, naming `named`; with its _SOLUTION twin's files, it passes."""
    work = Learner(course, tmp_path, step)
    work.fails(*named)
    work.solve()
    work.passes()
