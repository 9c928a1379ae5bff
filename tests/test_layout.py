"""The tree tells the course project from the course's machinery, MAINTAINING.md places
every file, the learners' issue form lists the real lessons and step branches, and the order of the
test files names files that exist."""

from __future__ import annotations

import ast
import re

import yaml

from conftest import REPO_ROOT, STEPS, run

PIPELINE_MODULES = {"__init__", "config", "dataset", "features", "train", "evaluate", "plots", "io", "logs"}
# Files at the root every Python project has (conftest.py: pytest's, the order of the test
# files); the README explains them in its own sections.
ROOT_FILES = {"README.md", "Makefile", "pyproject.toml", "requirements.txt", "environment.yml", "conftest.py",
              ".gitignore", ".gitattributes", ".dvcignore", ".pre-commit-config.yaml"}  # fmt: skip


def tracked(*paths: str) -> list[str]:
    return run(["git", "ls-files", *paths], REPO_ROOT).stdout.split()


def what_is_where() -> list[re.Pattern]:
    """What the first column of MAINTAINING.md's "What is where" table places: a bare name after
    a path is in that path's folder (`tools/workbook/lesson.py`, `workspace.py`), N is any number."""
    section = (REPO_ROOT / "MAINTAINING.md").read_text().split("## What is where", 1)[1].split("\n## ", 1)[0]
    places = []
    for row in [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]:
        names = [name.rstrip("/") for name in re.findall(r"`([^`]+)`", row)]
        folder = names[0].rpartition("/")[0]
        for name in names:
            path = name if "/" in name or not folder else f"{folder}/{name}"
            places.append(re.compile(re.escape(path).replace(re.escape("step-N"), r"step-\d+") + "(/|$)"))
    return places


def test_the_package_holds_only_the_pipeline():
    modules = {path.removeprefix("src/iris_pipeline/").removesuffix(".py") for path in tracked("src/iris_pipeline")}
    assert modules == PIPELINE_MODULES
    for module in modules:  # no course machinery hides behind an import either
        tree = ast.parse((REPO_ROOT / f"src/iris_pipeline/{module}.py").read_text())
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        assert not {name for name in imported if name.split(".")[0] in {"workbook", "papermill", "subprocess"}}


def test_maintaining_md_places_every_tracked_file():
    places = what_is_where()
    # DVC's own folder, and the placeholders that keep the data/, models/ and reports/ folders, need no place.
    unplaced = [
        path
        for path in tracked()
        if path not in ROOT_FILES and not path.startswith(".dvc/") and not path.endswith("/.gitignore")
        and not any(place.match(path) for place in places)
    ]  # fmt: skip
    assert unplaced == [], f"files the 'What is where' table of MAINTAINING.md does not place: {unplaced}"


def test_the_issue_form_lists_every_lesson_and_every_step_and_blank_issues_are_off():
    forms = REPO_ROOT / ".github" / "ISSUE_TEMPLATE"
    fields = {item.get("id"): item for item in yaml.safe_load((forms / "learner-help.yml").read_text())["body"]}
    options = {name: field["attributes"].get("options") for name, field in fields.items() if name}
    lessons = sorted(path.name for path in (REPO_ROOT / "lessons").glob("[0-9][0-9]-*.ipynb"))
    assert options["lesson"][1:] == lessons and options["step"][1:] == STEPS
    assert any("WSL" in option for option in options["os"]) and any("Codespaces" in option for option in options["os"])
    assert {"cell", "check", "doctor", "os", "python"} <= set(fields)
    assert yaml.safe_load((forms / "config.yml").read_text())["blank_issues_enabled"] is False


def test_the_order_of_the_test_files_names_files_that_exist(request):
    """A renamed file would silently lose its place in the order the two workers take files in."""
    order = request.config.pluginmanager.get_plugin(str(REPO_ROOT / "conftest.py")).SLOWEST_FIRST
    assert not [path for path in order if not (REPO_ROOT / path).is_file()], order
