"""`make check` on the step branches (course/checklib.py, course/step-N/check.py), steps 1-4
(notebooks and a script); test_step_checks_dvc.py has steps 5 and 8, test_step_checks_share.py
steps 6 and 7 (files of their own, so that pytest-xdist runs them side by side).

A clone of the course builds its step branches; each test works in a git worktree of one
branch, as a learner's steps folder, with `.venv` linked to this checkout's environment.
Every check must leave the learner's folder byte-identical, ignored files included.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from conftest import Repo
from course_steps import SOLUTION, STEPS, Learner, built_course, exercise_then_solution, git


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Repo:
    return built_course(tmp_path_factory.mktemp("checks"))


@pytest.mark.parametrize(
    ("step", "named"),
    [
        (1, ["TODO (exercise): write `metrics` as JSON", "Evaluate cell"]),
        (2, ["TODO (exercise): read params.yaml"]),
        (3, ["TODO in plot_confusion_matrix of src/iris_pipeline/plots.py"]),
        (4, ["TODO in the loop of run_pipeline.py"]),
    ],
)
def test_exercise_branch_fails_naming_the_piece_and_its_solution_passes(course: Repo, tmp_path: Path, step, named):
    exercise_then_solution(course, tmp_path, step, named)


def replace_todo(source: str, code: str) -> str:
    """A TODO line and the `raise` under it replaced by `code`, at the TODO's indentation."""
    lines = source.split("\n")
    index = next(i for i, line in enumerate(lines) if "# TODO (exercise)" in line)
    indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
    assert "raise NotImplementedError" in lines[index + 1]
    lines[index : index + 2] = [indent + line for line in code.split("\n")]
    return "\n".join(lines)


def solve_cells(path: Path, answers: dict[str, str], first: str = "") -> None:
    """Each code cell of the notebook whose TODO says one of `answers`' keys, solved with its code;
    `first` put before the first code cell."""
    notebook = nbformat.read(path, 4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    for cell in code:
        for task, answer in answers.items():
            if task in cell.source:
                cell.source = replace_todo(cell.source, answer)
    code[0].source = first + code[0].source
    nbformat.write(notebook, path)


def test_step1_another_correct_answer_passes_and_a_wrong_key_fails(course: Repo, tmp_path: Path):
    """Written another way (json.dump to a file handle, plain savefig), still done; the score
    under another key is named, with the hint to the TODO that writes it."""
    work = Learner(course, tmp_path, 1)
    path = work.root / "iris_prototype.ipynb"
    written = (
        'os.makedirs(os.path.dirname(params["metrics_path"]), exist_ok=True)\n'
        'with open(params["metrics_path"], "w") as handle:\n    json.dump({"F1": metrics["f1"]}, handle)'
    )
    answers = {
        "write `metrics` as JSON": written,
        "save `figure` as a PNG": 'figure.savefig(params["confusion_matrix_image"])',
    }
    solve_cells(path, answers, first="import os\n")
    output = work.fails("keys: 'F1'", "the TODO 'write `metrics` as JSON ...'")
    assert "[ ok ] reports/confusion_matrix.png" in output
    nbformat.write(nbformat.reads(path.read_text().replace('{\\"F1\\": metrics[\\"f1\\"]}', "metrics"), 4), path)
    work.passes()


def test_step2_a_value_left_hard_coded_is_found(course: Repo, tmp_path: Path):
    """The solution with the test size written as a number: it runs, and the check names the key it ignores."""
    work = Learner(course, tmp_path, 2, solution=True)
    solution, wrong = 'test_size=split[\\"test_size\\"]', "test_size=0.2"
    work.broken(
        "iris_prototype.ipynb", solution, wrong, "45 rows in the test set", "does not read data_split.test_size"
    )


def test_step3_todo_done_exactly_as_written_runs(course: Repo, tmp_path: Path):
    """The TODOs taken literally: the body of plot_confusion_matrix moved from the step 2
    notebook into plots.py as it is, and the import written in the notebook."""
    work = Learner(course, tmp_path, 3)
    step2 = nbformat.reads(git(course, "show", f"{STEPS[1]}{SOLUTION}:iris_prototype.ipynb"), 4)
    definition = next(c.source for c in step2.cells if c.source.startswith("def plot_confusion_matrix"))
    body = definition.split('"""', 2)[2].lstrip("\n")  # after the docstring, indented as in the notebook
    module = work.root / "src/iris_pipeline/plots.py"
    text = module.read_text()
    start = text.index("    # TODO (exercise)")
    end = text.index("\n", text.index("raise NotImplementedError", start))
    module.write_text(text[:start] + body.rstrip("\n") + text[end:])
    answer = "from iris_pipeline.plots import plot_confusion_matrix"
    solve_cells(work.root / "iris_prototype.ipynb", {"# TODO (exercise): import plot_confusion_matrix": answer})
    work.passes()


def test_step4_a_fixed_params_file_is_found(course: Repo, tmp_path: Path):
    """The loop done with params.yaml written in, not the script's params_file: the check's own file is not used."""
    work = Learner(course, tmp_path, 4, solution=True)
    # What step 6 leaves in a steps folder, ignored on steps 1-4: the check copies around it.
    (work.root / ".dvc").mkdir()
    (work.root / ".dvc/config.local").write_text("['remote \"storage\"']\n    url = /tmp/elsewhere\n")
    solution, wrong = 'parameters={"params_file": params_file}', 'parameters={"params_file": "params.yaml"}'
    work.broken("run_pipeline.py", solution, wrong, "the script's own params_file", '{"params_file": "params.yaml"}')
