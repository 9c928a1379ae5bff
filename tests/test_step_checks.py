"""`make check` and `make progress` on the step branches (course/checklib.py,
course/step-N/check.py), as a learner runs them: a clone of the course builds its step
branches; each test works in a git worktree of one branch, as a learner's steps folder, with
`.venv` linked to this checkout's environment. Every check must leave the learner's folder
byte-identical, ignored files included. Steps 6 and 7 are solved by doing, not by files
alone: the tests add the remote and push, run and keep experiments, as the READMEs say.
"""

from __future__ import annotations

import hashlib
import os
import re
import textwrap
from pathlib import Path

import nbformat
import pytest
import yaml

from conftest import REPO_ROOT, SOLUTION, STEPS, Repo, course_clone, git, set_param, steps

ANSI = re.compile(r"\x1b\[[0-9;]*m")  # the checks' colours, stripped before reading what they say


def tree_digest(root: Path) -> dict[str, str]:
    """Every file and link under `root` (ignored ones too, not .git) with a hash of its content."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        links = [d for d in dirnames if (Path(dirpath) / d).is_symlink()]  # listed, not walked into
        dirnames[:] = [d for d in dirnames if d != ".git" and d not in links]
        for path in (Path(dirpath) / name for name in filenames + links):
            digest = "link:" + os.readlink(path) if path.is_symlink() else hashlib.sha256(path.read_bytes()).hexdigest()
            found[str(path.relative_to(root))] = digest
    return found


class Learner:
    """A learner's steps folder on step `step`'s branch (its exercise, or its solution): a
    worktree of the course clone on a branch of the learner's own, with the course's .venv."""

    def __init__(self, course: Repo, tmp_path: Path, step: int, solution: bool = False):
        self.course, self.root = course, tmp_path / f"step{step}"
        self.branch = f"my-{tmp_path.name}"
        self.step = STEPS[step - 1]
        branch = self.step + (SOLUTION if solution else "")
        git(course, "worktree", "add", "-q", "-b", self.branch, str(self.root), branch)
        (self.root / ".venv").symlink_to(REPO_ROOT / ".venv", target_is_directory=True)
        self.env = {
            "PATH": f"{REPO_ROOT / '.venv' / 'bin'}{os.pathsep}{course.env['PATH']}",
            "PYTHONPATH": str(self.root / "src"),
        }

    def run(self, *command: str, check: bool = True):
        return self.course.run(*command, cwd=self.root, check=check, **self.env)

    def check(self) -> tuple[int, str]:
        """`make check`, asserting that it changes nothing in the folder; (exit status, output)."""
        before = tree_digest(self.root)
        result = self.run("make", "-s", "check", check=False)
        assert tree_digest(self.root) == before, "make check changed the learner's folder"
        return result.returncode, ANSI.sub("", result.stdout + result.stderr)

    def passes(self) -> None:
        status, output = self.check()
        assert status == 0 and "[FAIL]" not in output and "done: every check passed" in output, output

    def fails(self, *named: str) -> str:
        """Not done, one line per check, and each failed piece named with its hint; the output."""
        status, output = self.check()
        assert status != 0 and "not done yet" in output and "[FAIL]" in output, output
        assert "expected:" in output and "found:" in output and "hint:" in output, output
        for text in named:
            assert text in output, f"{text!r} not in:\n{output}"
        return output

    def solve(self) -> None:
        """Apply the solution: the files that differ from the `_SOLUTION` twin, uncommitted."""
        changed = git(self.course, "diff", "--name-only", "HEAD", self.step + SOLUTION, cwd=self.root).split()
        self.run("git", "checkout", self.step + SOLUTION, "--", *changed)

    def commit(self, message: str) -> None:
        self.run("git", "add", "-A")
        self.run("git", "commit", "-q", "-m", message)


def built_course(base: Path) -> Repo:
    """A clone of the course with its step branches built (no steps folder)."""
    clone = course_clone(base)
    steps(clone, "build", "--no-steps-dir")
    return clone


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Repo:
    return built_course(tmp_path_factory.mktemp("checks"))


RAISED = "NotImplementedError: TODO (exercise): "  # what an exercise's unsolved code raises, naming its task
# A plausible mistake in a step's solution: in `path`, the solution's text replaced by a wrong
# one, and what the failure names. Step 2 the test size written as a number (it runs; the check
# names the key it ignores), step 4 the loop with params.yaml written in, not the script's
# params_file, step 8 another template.
MISTAKES = {
    2: (
        "iris_prototype.ipynb",
        'test_size=split[\\"test_size\\"]',
        "test_size=0.2",
        ["45 rows in the test set", "does not read data_split.test_size"],
    ),
    4: (
        "run_pipeline.py",
        'parameters={"params_file": params_file}',
        'parameters={"params_file": "params.yaml"}',
        ["the script's own params_file", '{"params_file": "params.yaml"}'],
    ),
    8: (
        "dvc.yaml",
        "template: confusion",
        "template: linear",
        ["template confusion with x: predicted, y: y_true", "another template"],
    ),
}


@pytest.mark.parametrize(
    ("step", "named"),
    [
        (1, [f"{RAISED}write `metrics` as JSON", "Evaluate cell"]),
        (2, [f"{RAISED}read params.yaml"]),
        (3, [f"{RAISED}move the body", "TODO in plot_confusion_matrix of src/iris_pipeline/plots.py"]),
        (4, [f"{RAISED}run stages/<stage>.ipynb", "TODO in the loop of run_pipeline.py"]),
        (5, ["a stage in dvc.yaml with models/model.joblib among its outs", "the TODO in dvc.yaml: the train stage"]),
        (8, ["a plot of reports/confusion_matrix_data.csv", "the TODO in dvc.yaml: the evaluate stage's plots"]),
    ],
)
def test_exercise_branch_fails_naming_the_piece_and_its_solution_passes(course: Repo, tmp_path: Path, step, named):
    """The exercise branch as generated fails, naming `named` (steps 1-4: the task its run raised);
    with its _SOLUTION twin's files, it passes; with the step's plausible mistake (MISTAKES) in
    them, it fails naming that."""
    work = Learner(course, tmp_path, step)
    if step == 4:  # what step 6 leaves in a steps folder, ignored on steps 1-4: the check copies around it
        (work.root / ".dvc").mkdir()
        (work.root / ".dvc/config.local").write_text("['remote \"storage\"']\n    url = /tmp/elsewhere\n")
    work.fails(*named)
    work.solve()
    work.passes()
    if step in MISTAKES:
        path, solution, wrong, mistake_named = MISTAKES[step]
        text = (work.root / path).read_text()
        assert text.count(solution) == 1, f"{path} no longer holds {solution!r} once"
        (work.root / path).write_text(text.replace(solution, wrong))
        work.fails(*mistake_named)


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


def test_step3_todo_done_exactly_as_written_runs(course: Repo, tmp_path: Path):
    """The TODOs taken literally: the body of plot_confusion_matrix moved from the step 2
    notebook into plots.py as it is, and the import written in the notebook."""
    work = Learner(course, tmp_path, 3)
    step2 = nbformat.reads(git(course, "show", f"{STEPS[1]}{SOLUTION}:iris_prototype.ipynb"), 4)
    definition = next(c.source for c in step2.cells if c.source.startswith("def plot_confusion_matrix"))
    body = definition.split('"""', 2)[2].lstrip("\n")  # after the docstring, indented as in the notebook
    module = work.root / "src/iris_pipeline/plots.py"
    module.write_text(replace_todo(module.read_text(), textwrap.dedent(body).rstrip("\n")))
    answer = "from iris_pipeline.plots import plot_confusion_matrix"
    solve_cells(work.root / "iris_prototype.ipynb", {"# TODO (exercise): import plot_confusion_matrix": answer})
    work.passes()


def test_step5_another_correct_stage_passes_and_a_missing_dependency_is_named(course: Repo, tmp_path: Path):
    """A train stage written differently (whole params sections, the package module alone) is
    done; without the train set among its deps, the check says which dependency is missing."""
    work = Learner(course, tmp_path, 5, solution=True)
    pipeline = yaml.safe_load((work.root / "dvc.yaml").read_text())
    train = pipeline["stages"]["train"]
    train["params"] = ["base", "train"]
    train["deps"] = [d if d != "src/iris_pipeline" else "src/iris_pipeline/train.py" for d in train["deps"]]
    (work.root / "dvc.yaml").write_text(yaml.safe_dump(pipeline, sort_keys=False))
    work.passes()
    train["deps"] = [d for d in train["deps"] if "trainset" not in d]
    (work.root / "dvc.yaml").write_text(yaml.safe_dump(pipeline, sort_keys=False))
    work.fails("train reruns when the train set changes", "deps, the train set")


def test_step6_the_remote_must_be_absolute_hold_the_data_and_another_run(course: Repo, tmp_path: Path):
    work = Learner(course, tmp_path, 6)
    work.fails("a default remote", "the TODO in .dvc/config: dvc remote add -d")
    # A relative url: refused, with the reason.
    work.run("dvc", "remote", "add", "-d", "storage", "../remote")
    work.fails("an absolute path or a URL", "reads a relative url from the .dvc/ folder")
    # An absolute one that holds nothing yet: the pull fails, with the hint to push.
    remote = tmp_path / "remote"
    remote.mkdir()
    work.run("dvc", "remote", "modify", "storage", "url", str(remote))
    work.fails("`dvc pull` in a copy with an empty cache to succeed", "dvc push")
    work.run("dvc", "repro")
    work.run("dvc", "push")
    work.fails("objects in the remote besides this commit's", "push, change, push, restore")
    set_param(work.root / "params.yaml", "data_split.test_size", 0.3)
    work.run("dvc", "repro")
    work.run("dvc", "push")
    work.run("git", "restore", "params.yaml", "dvc.lock")
    assert "is cached - skipping run" in work.run("dvc", "repro").stdout  # the run-cache, as the README says
    work.passes()


def test_step7_metric_experiments_and_tag_then_progress(tmp_path: Path):
    """The exercise of step 7 done as its README says, committed on the learner's branch;
    `make progress` then counts step 7 as done on that branch, and step 1 as the next (in a
    course clone of its own: the other tests' branches would be counted too)."""
    work = Learner(built_course(tmp_path / "course"), tmp_path, 7)
    work.fails("reports/metrics.json among the metrics", "at least 2 experiments", "tags: none")
    work.solve()
    work.commit("declare the metric")
    work.run("dvc", "exp", "run", "-n", "c-small", "-S", "train.estimators.logreg.param_grid.C=[0.01]")
    work.run("dvc", "exp", "run", "-n", "c-big", "-S", "train.estimators.logreg.param_grid.C=[0.1]")
    work.run("dvc", "exp", "apply", "c-big")
    work.commit("keep c-big")
    work.run("git", "tag", "-a", "c-big", "-m", "C 0.1")
    work.passes()
    progress = work.run("make", "-s", "progress").stdout
    assert f"7. {STEPS[6]:40} done on {work.branch}\n" in progress, progress
    assert f"1. {STEPS[0]:40} not done\n" in progress and f"Next: {STEPS[0]}" in progress, progress
    assert f"checking {work.branch}" in progress
    again = work.run("make", "-s", "progress").stdout  # remembered per commit: nothing is checked again
    assert "checking" not in again and f"done on {work.branch}" in again
