"""Scratch workspaces for the lessons: `workspace/<lesson>/` at the repository root (git and
DVC ignore it), created fresh each time the lesson runs; the learner's checkout is never
committed to, reset or written into. A lesson gives the same output everywhere and every time:

- git reads a config of the workspace's own (a fixed author, `main` as the first branch,
  fixed commit dates), never `~/.gitconfig`, and stops looking for a repository at the
  workspace's edge: a command typed before `git init` fails instead of reaching the
  learner's repository;
- DVC reads a global config of the workspace's own: no update check, no analytics;
- the environment's own `dvc`, `papermill` and `python` come first on PATH, even when
  JupyterLab was started without activating the environment.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]  # tools/workbook/workspace.py
WORKSPACES = REPO_ROOT / "workspace"

PROJECT_FILES = ("src", "stages", "params.yaml", "dvc.yaml", "pyproject.toml")  # the project, nothing produced
FIXED_DATE = "2024-01-01T12:00:00+00:00"

GITCONFIG = """\
[user]
\tname = Course Learner
\temail = learner@example.com
[init]
\tdefaultBranch = main
[advice]
\tdetachedHead = false
[core]
\tautocrlf = false
[color]
\tui = never
"""

DVC_GLOBAL_CONFIG = """\
[core]
    check_update = false
    analytics = false
"""


@dataclass(frozen=True)
class Workspace:
    """A fresh folder for one lesson, with git and DVC isolated from the learner's setup."""

    root: Path

    def path(self, *parts: str) -> Path:
        """A path inside the workspace."""
        return self.root.joinpath(*parts)

    def copy_project(self, dest: str = "project", files: tuple[str, ...] = PROJECT_FILES) -> Path:
        """Copy the course project's `files` (from the repository root) into `dest`."""
        target = self.root / dest
        target.mkdir(parents=True, exist_ok=True)
        ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", ".ipynb_checkpoints")
        for name in files:
            source = REPO_ROOT / name
            if source.is_dir():
                shutil.copytree(source, target / name, ignore=ignore)
            else:
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target / name)
        return target


def isolated_environ(home: Path, ceiling: Path) -> dict[str, str]:
    """This process's environment with git and DVC pointed at configs of their own, written into
    `home`, for a temporary folder `ceiling`."""
    (home / "dvc").mkdir(parents=True, exist_ok=True)
    (home / "dvc-system").mkdir(exist_ok=True)
    (home / "gitconfig").write_text(GITCONFIG, encoding="utf-8")
    (home / "dvc" / "config").write_text(DVC_GLOBAL_CONFIG, encoding="utf-8")
    tools = str(Path(sys.executable).parent)  # git/dvc/papermill of this environment first
    path = os.environ.get("PATH", "").split(os.pathsep)
    return {
        **os.environ,
        # Idempotent: rerunning a lesson's setup cell does not grow PATH.
        "PATH": os.pathsep.join([tools, *(entry for entry in path if entry != tools)]),
        "GIT_CONFIG_GLOBAL": str(home / "gitconfig"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CEILING_DIRECTORIES": str(ceiling),
        "GIT_AUTHOR_DATE": FIXED_DATE,
        "GIT_COMMITTER_DATE": FIXED_DATE,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_PAGER": "cat",
        "DVC_GLOBAL_CONFIG_DIR": str(home / "dvc"),
        "DVC_SYSTEM_CONFIG_DIR": str(home / "dvc-system"),
        "DVC_NO_ANALYTICS": "1",
        "DVC_STUDIO_OFFLINE": "1",
        "DVC_PAGER": "cat",
        "PYTHONHASHSEED": "0",  # DVC prints some file lists from sets: a fixed order
    }


def new_workspace(name: str) -> Workspace:
    """Create `workspace/<name>/` afresh and isolate git and DVC in this process's environment,
    so every `!git ...` or `!dvc ...` a notebook runs afterwards uses it."""
    if not name or "/" in name or name.startswith("."):
        raise ValueError(f"workspace name {name!r}: expected a plain folder name")
    root = WORKSPACES / name
    home = WORKSPACES / f".{name}-home"
    for folder in (root, home):
        if folder.exists():
            shutil.rmtree(folder)
    root.mkdir(parents=True)
    os.environ.update(isolated_environ(home, WORKSPACES))
    for variable in ("FORCE_COLOR", "CLICOLOR_FORCE"):  # set by ipykernel; DVC would draw spinners
        os.environ.pop(variable, None)
    return Workspace(root=root)
