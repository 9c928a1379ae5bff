"""The lessons as documents: kernel, chapter structure, and the course branches they name."""

from __future__ import annotations

import json

import pytest

from conftest import REPO_ROOT

LESSONS = sorted((REPO_ROOT / "lessons").glob("[0-9][0-9]-*.ipynb"))
BRANCHES = {
    "03": ["step-1-organize-ml-project", "step-2-create-config-file", "step-3-reusable-code",
           "step-4-build-ml-pipeline", "step-5-automate-ml-pipeline"],
    "04": ["step-6-data-and-model-version-control"],
    "05": ["step-7-metrics-and-experiments", "step-8-metrics-and-plots"],
    "06": ["step-8-metrics-and-plots"],
    "07": ["step-8-metrics-and-plots"],
}


def markdown(path) -> str:
    cells = json.loads(path.read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def test_there_are_seven_lessons():
    assert [p.name[:2] for p in LESSONS] == ["01", "02", "03", "04", "05", "06", "07"]


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_lesson_reads_like_a_chapter_and_opens_with_the_project_kernel(path):
    nb = json.loads(path.read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "mlops-course"
    text = markdown(path)
    assert "What you will learn" in text
    assert "## Exercise" in text or "### Exercise" in text
    everything = "\n".join("".join(c["source"]) for c in nb["cells"])
    assert "Solution" in everything  # every exercise comes with its solution


@pytest.mark.parametrize("number", sorted(BRANCHES))
def test_lessons_name_the_step_branches_they_correspond_to(number):
    path = next(p for p in LESSONS if p.name.startswith(number))
    text = markdown(path)
    for branch in BRANCHES[number]:
        assert f"`{branch}`" in text, f"{path.name} does not name {branch}"
