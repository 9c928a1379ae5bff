"""`make check` on steps 5 and 8 (dvc.yaml); the set-up is test_step_checks.py's
(tests/course_steps.py), steps 6 and 7 are in test_step_checks_share.py."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import Repo
from course_steps import Learner, built_course, exercise_then_solution


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Repo:
    return built_course(tmp_path_factory.mktemp("checks"))


@pytest.mark.parametrize(
    ("step", "named"),
    [
        (5, ["a stage in dvc.yaml with models/model.joblib among its outs", "the TODO in dvc.yaml: the train stage"]),
        (8, ["a plot of reports/confusion_matrix_data.csv", "the TODO in dvc.yaml: the evaluate stage's plots"]),
    ],
)
def test_exercise_branch_fails_naming_the_piece_and_its_solution_passes(course: Repo, tmp_path: Path, step, named):
    exercise_then_solution(course, tmp_path, step, named)


def edit_dvc_yaml(root: Path, edit) -> None:
    path = root / "dvc.yaml"
    data = yaml.safe_load(path.read_text())
    edit(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_step5_another_correct_stage_passes_and_a_missing_dependency_is_named(course: Repo, tmp_path: Path):
    """A train stage written differently (whole params sections, the package module alone) is
    done; without the train set among its deps, the check says which dependency is missing."""
    work = Learner(course, tmp_path, 5, solution=True)

    def other_form(data):
        train = data["stages"]["train"]
        train["params"] = ["base", "train"]
        train["deps"] = [d if d != "src/iris_pipeline" else "src/iris_pipeline/train.py" for d in train["deps"]]

    edit_dvc_yaml(work.root, other_form)
    work.passes()

    def without_train_set(data):
        data["stages"]["train"]["deps"] = [d for d in data["stages"]["train"]["deps"] if "trainset" not in d]

    edit_dvc_yaml(work.root, without_train_set)
    work.fails("train reruns when the train set changes", "deps, the train set")


def test_step8_another_template_is_named(course: Repo, tmp_path: Path):
    work = Learner(course, tmp_path, 8, solution=True)

    def linear(data):
        plot = data["stages"]["evaluate"]["plots"][0]
        next(iter(plot.values()))["template"] = "linear"

    edit_dvc_yaml(work.root, linear)
    work.fails("template confusion with x: predicted, y: y_true", "another template")
