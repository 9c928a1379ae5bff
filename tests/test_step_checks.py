"""`make check` and `make progress` on the step branches (course/checklib.py, course/step-N/check.py).

A clone of the course builds its step branches; each test works in a git worktree of one
branch, as a learner's steps folder, with `.venv` linked to this checkout's environment.
Every check must leave the learner's folder byte-identical, ignored files included.
This file covers steps 1-4 (notebooks and a script); test_step_checks_dvc.py steps 5-8.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import nbformat
import pytest

from conftest import REPO_ROOT, Repo
from test_steps import STEPS, course_clone, git, steps

SOLUTION = "_SOLUTION"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def build_clone(tmp_path_factory) -> Repo:
    clone = course_clone(tmp_path_factory.mktemp("checks"))
    steps(clone, "build", "--no-steps-dir")
    return clone


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Repo:
    return build_clone(tmp_path_factory)


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
    """A learner's steps folder on one branch: a worktree of the course clone, with the course's .venv."""

    def __init__(self, course: Repo, branch: str, path: Path):
        self.course, self.root = course, path
        git(course, "worktree", "add", "-q", "-b", f"my-{path.parent.name}", str(path), branch)
        (path / ".venv").symlink_to(REPO_ROOT / ".venv", target_is_directory=True)
        self.env = {
            "PATH": f"{REPO_ROOT / '.venv' / 'bin'}{os.pathsep}{course.env['PATH']}",
            "PYTHONPATH": str(path / "src"),
        }

    def run(self, *command: str, check: bool = True):
        return self.course.run(*command, cwd=self.root, check=check, **self.env)

    def check(self) -> tuple[int, str]:
        """`make check`, asserting that it changes nothing in the folder; (exit status, output)."""
        before = tree_digest(self.root)
        result = self.run("make", "-s", "check", check=False)
        assert tree_digest(self.root) == before, "make check changed the learner's folder"
        return result.returncode, ANSI.sub("", result.stdout + result.stderr)

    def solve_from(self, branch: str) -> None:
        """Apply the solution: the files that differ from the `_SOLUTION` twin, uncommitted."""
        changed = git(self.course, "diff", "--name-only", "HEAD", branch, cwd=self.root).split()
        assert changed, branch
        self.run("git", "checkout", branch, "--", *changed)

    def commit(self, message: str) -> None:
        self.run("git", "add", "-A")
        self.run("git", "commit", "-q", "-m", message)


def passes(output: str) -> None:
    assert "[FAIL]" not in output and "done: every check passed" in output, output


def fails(output: str, *named: str) -> None:
    """Not done, one line per check, and each failed piece named with its hint."""
    assert "not done yet" in output and "[FAIL]" in output, output
    assert "expected:" in output and "found:" in output and "hint:" in output, output
    for text in named:
        assert text in output, f"{text!r} not in:\n{output}"


def learner(course: Repo, tmp_path: Path, step: int, solution: bool = False) -> Learner:
    return Learner(course, STEPS[step - 1] + (SOLUTION if solution else ""), tmp_path / f"step{step}")


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


def exercise_then_solution(course: Repo, tmp_path: Path, step: int, named: list[str]) -> None:
    """The exercise branch as generated fails, naming `named`; with its _SOLUTION twin's files, it passes."""
    work = learner(course, tmp_path, step)
    status, output = work.check()
    assert status != 0
    fails(output, *named)
    work.solve_from(STEPS[step - 1] + SOLUTION)
    status, output = work.check()
    assert status == 0, output
    passes(output)


def broken(work: Learner, path: str, solution: str, wrong: str, *named: str) -> None:
    """The solution with one plausible mistake (`solution` replaced by `wrong` in `path`) fails, naming `named`."""
    file = work.root / path
    text = file.read_text()
    assert solution in text, f"{path} no longer holds {solution!r}"
    file.write_text(text.replace(solution, wrong))
    status, output = work.check()
    assert status != 0
    fails(output, *named)


def cells(path: Path) -> tuple[nbformat.NotebookNode, list]:
    notebook = nbformat.read(path, 4)
    return notebook, [c for c in notebook.cells if c.cell_type == "code"]


def replace_todo(source: str, code: str) -> str:
    """A TODO line and the `raise` under it replaced by `code`, at the TODO's indentation."""
    lines = source.split("\n")
    index = next(i for i, line in enumerate(lines) if "# TODO (exercise)" in line)
    indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
    assert "raise NotImplementedError" in lines[index + 1]
    lines[index : index + 2] = [indent + line for line in code.split("\n")]
    return "\n".join(lines)


def test_step1_another_correct_answer_passes_and_a_wrong_key_fails(course: Repo, tmp_path: Path):
    """Written another way (json.dump to a file handle, plain savefig), still done; the score
    under another key is named, with the hint to the TODO that writes it."""
    work = learner(course, tmp_path, 1)
    path = work.root / "iris_prototype.ipynb"
    notebook, code = cells(path)
    for cell in code:
        if "write `metrics` as JSON" in cell.source:
            cell.source = replace_todo(
                cell.source,
                (
                    'os.makedirs(os.path.dirname(params["metrics_path"]), exist_ok=True)\n'
                    'with open(params["metrics_path"], "w") as handle:\n    json.dump({"F1": metrics["f1"]}, handle)'
                ),
            )
        if "save `figure` as a PNG" in cell.source:
            cell.source = replace_todo(cell.source, 'figure.savefig(params["confusion_matrix_image"])')
    code[0].source = "import os\n" + code[0].source
    nbformat.write(notebook, path)
    status, output = work.check()
    assert status != 0
    fails(output, "keys: 'F1'", "the TODO 'write `metrics` as JSON ...'")
    assert "[ ok ] reports/confusion_matrix.png" in output
    nbformat.write(nbformat.reads(path.read_text().replace('{\\"F1\\": metrics[\\"f1\\"]}', "metrics"), 4), path)
    status, output = work.check()
    assert status == 0, output
    passes(output)


def test_step2_a_value_left_hard_coded_is_found(course: Repo, tmp_path: Path):
    """The solution with the test size written as a number: it runs, and the check names the key it ignores."""
    work = learner(course, tmp_path, 2, solution=True)
    solution, wrong = 'test_size=split[\\"test_size\\"]', "test_size=0.2"
    broken(
        work, "iris_prototype.ipynb", solution, wrong, "45 rows in the test set", "does not read data_split.test_size"
    )


def test_step3_todo_done_exactly_as_written_runs(course: Repo, tmp_path: Path):
    """The TODOs taken literally: the body of plot_confusion_matrix moved from the step 2
    notebook into plots.py as it is, and the import written in the notebook."""
    work = learner(course, tmp_path, 3)
    step2 = nbformat.reads(git(course, "show", f"{STEPS[1]}{SOLUTION}:iris_prototype.ipynb"), 4)
    definition = next(c.source for c in step2.cells if c.source.startswith("def plot_confusion_matrix"))
    body = definition.split('"""', 2)[2].lstrip("\n")  # after the docstring, indented as in the notebook
    module = work.root / "src/iris_pipeline/plots.py"
    text = module.read_text()
    start = text.index("    # TODO (exercise)")
    end = text.index("\n", text.index("raise NotImplementedError", start))
    module.write_text(text[:start] + body.rstrip("\n") + text[end:])
    path = work.root / "iris_prototype.ipynb"
    notebook, code = cells(path)
    for cell in code:
        if "# TODO (exercise): import plot_confusion_matrix" in cell.source:
            cell.source = replace_todo(cell.source, "from iris_pipeline.plots import plot_confusion_matrix")
    nbformat.write(notebook, path)
    status, output = work.check()
    assert status == 0, output
    passes(output)


def test_step4_a_fixed_params_file_is_found(course: Repo, tmp_path: Path):
    """The loop done with params.yaml written in, not the script's params_file: the check's own file is not used."""
    work = learner(course, tmp_path, 4, solution=True)
    # What step 6 leaves in a steps folder, ignored on steps 1-4: the check copies around it.
    (work.root / ".dvc").mkdir()
    (work.root / ".dvc/config.local").write_text("['remote \"storage\"']\n    url = /tmp/elsewhere\n")
    solution, wrong = 'parameters={"params_file": params_file}', 'parameters={"params_file": "params.yaml"}'
    broken(work, "run_pipeline.py", solution, wrong, "the script's own params_file", '{"params_file": "params.yaml"}')
