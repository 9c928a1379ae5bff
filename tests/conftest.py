"""Shared fixtures: a throwaway copy of the project with its own git repo."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from iris_pipeline.workspace import REPO_ROOT, Workspace, isolated_environ


def run(cmd: list[str], cwd: Path, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    """Run a command, capturing text output; on failure show it in the assertion."""
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(cmd)} exited {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )
    return result


class Project:
    """A copy of the course project in a temporary git + DVC repository."""

    def __init__(self, root: Path, env: dict[str, str]):
        self.root = root
        self.env = env

    def run(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess:
        return run(list(cmd), self.root, self.env, check=check)

    def git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.run("git", *args, check=check)

    def dvc(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.run("dvc", *args, check=check)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """The project's committed pipeline files in a fresh git repo with DVC initialised."""
    workspace = Workspace(root=tmp_path / "ws")
    root = workspace.copy_project(
        "project", files=("src", "stages", "params.yaml", "dvc.yaml", "dvc.lock", "pyproject.toml",
                          ".gitignore", ".dvcignore", "reports/metrics.json",
                          "reports/confusion_matrix_data.csv")
    )
    env = isolated_environ(tmp_path / "home", tmp_path)
    proj = Project(root, env)
    proj.git("init", "-q", "-b", "main")
    proj.dvc("init", "-q")
    proj.git("add", "-A")
    proj.git("commit", "-qm", "project")
    return proj


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT
