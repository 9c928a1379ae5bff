"""The learners' issue form lists the real lessons and step branches."""

from __future__ import annotations

import yaml

from conftest import REPO_ROOT

FORMS = REPO_ROOT / ".github" / "ISSUE_TEMPLATE"


def dropdown(form: dict, name: str) -> list[str]:
    (field,) = [item for item in form["body"] if item.get("id") == name]
    return field["attributes"]["options"]


def test_the_form_lists_every_lesson_and_every_step():
    form = yaml.safe_load((FORMS / "learner-help.yml").read_text())
    lessons = sorted(path.name for path in (REPO_ROOT / "lessons").glob("[0-9][0-9]-*.ipynb"))
    steps = [step["name"] for step in yaml.safe_load((REPO_ROOT / "course" / "steps.yaml").read_text())["steps"]]
    assert dropdown(form, "lesson")[1:] == lessons
    assert dropdown(form, "step")[1:] == steps
    assert any("WSL" in option for option in dropdown(form, "os"))
    assert any("Codespaces" in option for option in dropdown(form, "os"))
    asked = {item.get("id") for item in form["body"]}
    assert {"cell", "check", "doctor", "os", "python"} <= asked


def test_blank_issues_are_off():
    assert yaml.safe_load((FORMS / "config.yml").read_text())["blank_issues_enabled"] is False
