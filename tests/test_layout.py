"""The tree tells the course project from the course's machinery, and the README places every file."""

from __future__ import annotations

import ast
import re

from conftest import REPO_ROOT, run

PIPELINE_MODULES = {"__init__", "config", "dataset", "features", "train", "evaluate", "plots", "io", "logs"}
# Files at the root every Python project has (conftest.py: pytest's, the order of the test
# files); the README explains them in its own sections.
ROOT_FILES = {
    "conftest.py",
    "README.md",
    "Makefile",
    "pyproject.toml",
    "requirements.txt",
    "environment.yml",
    ".gitignore",
    ".gitattributes",
    ".dvcignore",
    ".pre-commit-config.yaml",
}


def tracked(*paths: str) -> list[str]:
    return run(["git", "ls-files", *paths], REPO_ROOT).stdout.split()


def what_is_where() -> list[str]:
    """The paths named in the first column of the README's "What is where" table."""
    section = (REPO_ROOT / "README.md").read_text().split("## What is where", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    return [path.rstrip("/") for row in rows for path in re.findall(r"`([^`]+)`", row)]


def test_the_package_holds_only_the_pipeline():
    modules = {path.removeprefix("src/iris_pipeline/").removesuffix(".py") for path in tracked("src/iris_pipeline")}
    assert modules == PIPELINE_MODULES
    for module in modules:  # no course machinery hides behind an import either
        tree = ast.parse((REPO_ROOT / f"src/iris_pipeline/{module}.py").read_text())
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        assert not {name for name in imported if name.split(".")[0] in {"workbook", "papermill", "subprocess"}}


def test_the_readme_places_every_tracked_file():
    places = what_is_where()
    unplaced = [
        path
        for path in tracked()
        if path not in ROOT_FILES
        and not any(path == place or path.startswith(place + "/") for place in places)
        and not path.startswith(".dvc/")  # DVC's own folder
        and not path.endswith("/.gitignore")  # the placeholders that keep data/, models/, reports/ folders
    ]
    assert unplaced == [], f"files the README's 'What is where' table does not place: {unplaced}"
