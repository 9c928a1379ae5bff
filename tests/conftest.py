"""What the tests share: the repository root, one way to run a command, isolated git and
DVC settings, and throwaway copies or clones of the project.

Test modules import these helpers (`from conftest import run, Repo`); fixtures come by name.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from workbook.workspace import REPO_ROOT, Workspace, isolated_environ

__all__ = ["REPO_ROOT", "Repo", "isolated_env", "run", "set_param"]

# The committed files a pipeline copy needs (no data, models or executed notebooks).
PIPELINE_FILES = (
    "src", "stages", "params.yaml", "dvc.yaml", "dvc.lock", "pyproject.toml", ".gitignore", ".dvcignore",
    "reports/metrics.json", "reports/confusion_matrix_data.csv",
)


def run(
    cmd: list[str], cwd: Path, env: dict[str, str] | None = None, check: bool = True, timeout: float = 900
) -> subprocess.CompletedProcess:
    """Run a command, capturing text output; on failure show both streams in the assertion."""
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(map(str, cmd))} exited {result.returncode} in {cwd}\n"
            f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )
    return result


def set_param(path: Path, dotted: str, value) -> None:
    """Set one key of a params file, by key (never by matching the old text); it must change."""
    params = yaml.safe_load(path.read_text())
    *parents, leaf = dotted.split(".")
    node = params
    for part in parents:
        node = node[part]
    assert node.get(leaf) != value, f"{dotted} is {value!r} already: the change would show nothing"
    node[leaf] = value
    path.write_text(yaml.safe_dump(params, sort_keys=False))


def isolated_env(tmp_path: Path) -> dict[str, str]:
    """This process's environment with git and DVC configured under `tmp_path` only."""
    return isolated_environ(tmp_path / "home", tmp_path)


class Repo:
    """A git (and usually DVC) repository in a temporary folder, with isolated settings."""

    def __init__(self, root: Path, env: dict[str, str]):
        self.root = root
        self.env = env

    def run(self, *cmd: str, check: bool = True, cwd: Path | None = None, **extra_env: str):
        env = {**self.env, **extra_env} if extra_env else self.env
        return run(list(cmd), cwd or self.root, env, check=check)

    def git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.run("git", *args, check=check)

    def dvc(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.run("dvc", *args, check=check)

    @classmethod
    def copy_of_project(cls, tmp_path: Path, files: tuple[str, ...] = PIPELINE_FILES, commit: bool = True) -> Repo:
        """The project's committed pipeline `files` in a fresh git repo with DVC initialised."""
        root = Workspace(root=tmp_path / "ws").copy_project("project", files=files)
        repo = cls(root, isolated_env(tmp_path))
        repo.git("init", "-q", "-b", "main")
        repo.dvc("init", "-q")
        if commit:
            repo.git("add", "-A")
            repo.git("commit", "-qm", "project")
        return repo

    @classmethod
    def clone_of_this_repo(cls, tmp_path: Path, name: str = "clone") -> Repo:
        """A `git clone` of this repository's HEAD: only committed files take part."""
        env = isolated_env(tmp_path)
        root = tmp_path / name
        run(["git", "clone", "-q", str(REPO_ROOT), str(root)], tmp_path, env)
        return cls(root, env)


@pytest.fixture
def project(tmp_path: Path) -> Repo:
    """The project's committed pipeline files in a fresh git repo with DVC initialised."""
    return Repo.copy_of_project(tmp_path)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT
