"""The course's step branches (`python course/build_steps.py`, course/steps.yaml).

The branches are built in a temporary `git clone` of this repository (tests/course_steps.py),
so only committed files take part, as for a learner who just cloned the course. The slow
test walks the course as the README says: a lesson run (so modified) in the clone, `make
steps`'s command, then in the steps folder it made, every step in turn with what its README
says to run, `git status` clean in both folders at every switch.
"""

from __future__ import annotations

import ast
import difflib
import json
import os
import re
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest
import yaml

from build_steps import (
    AUTHOR_EMAIL,
    AUTHOR_NAME,
    BASE_DATE,
    TODO_ERROR,
    TODO_PREFIX,
    Git,
    Source,
    StepsError,
    default_steps_dir,
    plan,
    render_file,
    render_names,
    split_markers,
)
from conftest import COMMITTED_F1, QUOTED, REPO_ROOT, Repo, run, set_param
from course_steps import CHAIN, SOLUTION, STEPS, course_clone, git, steps

LAST = CHAIN[-1]
PACKAGE = ("__init__", "config", "dataset", "features", "train", "evaluate", "plots", "io", "logs")
# The pipeline files the last step must take unchanged from main.
PIPELINE_FILES = [
    "params.yaml",
    "dvc.yaml",
    "dvc.lock",
    ".dvcignore",
    ".dvc/.gitignore",
    "reports/metrics.json",
    "reports/confusion_matrix_data.csv",
    "data/raw/.gitignore",
    "data/processed/.gitignore",
    "models/.gitignore",
    "reports/.gitignore",
    "reports/runs/.gitignore",
    *(f"stages/{stage}.ipynb" for stage in ("data_load", "featurize", "data_split", "train", "evaluate")),
    *(f"src/iris_pipeline/{module}.py" for module in PACKAGE),
]
LESSON = "lessons/04-versioning-data.ipynb"


def run_lesson_as_jupyterlab_would(root: Path) -> str:
    """Give a lesson outputs and execution counts, as running it in JupyterLab does; its status line."""
    path = root / LESSON
    notebook = nbformat.read(path, 4)
    for count, cell in enumerate((c for c in notebook.cells if c.cell_type == "code"), 1):
        cell.execution_count = count
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"ran cell {count}\n")]
    nbformat.write(notebook, path)
    return f" M {LESSON}"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Repo:
    """A clone where a lesson was run, with every step branch built and the steps folder beside it.

    The clone's `.venv` stands for the environment of `make setup`: a folder whose `bin`
    and `share` are this checkout's (the steps folder's `.venv` links to it).
    """
    clone = course_clone(tmp_path_factory.mktemp("steps"))
    (clone.root / ".venv").mkdir()
    for part in ("bin", "share"):
        (clone.root / ".venv" / part).symlink_to(REPO_ROOT / ".venv" / part)
    clone.lesson_status = run_lesson_as_jupyterlab_would(clone.root)
    result = steps(clone, "build")
    assert "created" in result.stdout and "Steps folder (created)" in result.stdout
    assert git(clone, "status", "--porcelain") == clone.lesson_status.strip()
    return clone


def test_branch_names_and_chain(built: Repo):
    branches = set(git(built, "branch", "--format=%(refname:short)").split())
    assert set(STEPS) | set(CHAIN) <= branches
    # One commit per step, each on the one before.
    assert not git(built, "rev-list", "--parents", "-n1", CHAIN[0]).split()[1:]
    for before, after in zip(CHAIN, CHAIN[1:], strict=False):
        assert git(built, "rev-parse", f"{after}^") == git(built, "rev-parse", before)
    # An exercise branch is a sibling of its solution: same parent, one commit.
    for name, solution in zip(STEPS, CHAIN, strict=True):
        parents = git(built, "rev-list", "--parents", "-n1", name).split()[1:]
        assert parents == git(built, "rev-list", "--parents", "-n1", solution).split()[1:]
    subjects = git(built, "log", "--format=%s", LAST).splitlines()
    assert [s.split(":")[0] for s in reversed(subjects)] == [f"Step {n}" for n in range(1, 9)]
    # The course's fixed identity and dates (step N, N minutes after the base date), even where
    # GIT_AUTHOR_*/GIT_COMMITTER_* are set, as some CI systems and containers do.
    other = course_clone(built.root.parent, "other")
    other.env.update(GIT_AUTHOR_NAME="someone", GIT_COMMITTER_EMAIL="x@y", GIT_COMMITTER_DATE="1999-01-01T00:00:00")
    steps(other, "build", "--no-steps-dir")
    for n, branch in enumerate(CHAIN, 1):
        stamp = git(built, "log", "-1", "--format=%an|%ae|%at|%cn|%ce|%ct", branch)
        assert stamp == "|".join([AUTHOR_NAME, AUTHOR_EMAIL, str(BASE_DATE + 60 * n)] * 2), branch
        # The same source gives the same commits in another clone.
        assert git(other, "rev-parse", branch) == git(built, "rev-parse", branch)
    # Every step explains itself in its README, naming its branch.
    for name in STEPS:
        assert name in git(built, "show", f"{name}:README.md")


def _hunks_only_todo(solution: list[str], exercise: list[str], where: str, python: bool) -> int:
    """Check every difference replaces solution lines by one TODO line; return the count."""
    count = 0
    matcher = difflib.SequenceMatcher(a=solution, b=exercise, autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "equal":
            continue
        added = exercise[b0:b1]
        assert tag == "replace" and len(added) in (1, 2), f"{where}: unexpected change {solution[a0:a1]} -> {added}"
        assert added[0].lstrip().startswith(TODO_PREFIX), f"{where}: {added[0]!r} is not a task line"
        task = added[0].strip().removeprefix(TODO_PREFIX)
        assert len(task) > 10, f"{where}: the task line says nothing"
        if python:  # the unsolved exercise stops, naming its task
            raising = f"raise {TODO_ERROR}({(TODO_PREFIX.removeprefix('# ') + task)!r})"
            assert added[1:] == [added[0][: -len(added[0].lstrip())] + raising], f"{where}: {added[1:]}"
        else:
            assert len(added) == 1, f"{where}: {added}"
        count += 1
    for line in solution:
        assert TODO_PREFIX not in line and "# <solution>" not in line and "# </solution>" not in line, where
    return count


def _imports(code: str) -> set[str]:
    """The names a module binds by its import statements."""
    names = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names |= {alias.asname or alias.name.split(".")[0] for alias in node.names}
    return names


def test_exercises_differ_from_solutions_only_in_marked_regions(built: Repo):
    steps_by_name = {step.name: step for step in plan(Source(Git(built.root), "HEAD"))}
    for name in STEPS:
        changed = git(built, "diff", "--name-only", name, name + SOLUTION).splitlines()
        assert sorted(changed) == sorted(steps_by_name[name].regions), name
        for path in changed:
            solution = git(built, "show", f"{name}{SOLUTION}:{path}")
            exercise = git(built, "show", f"{name}:{path}")
            where = f"{name}:{path}"
            if path.endswith(".ipynb"):
                sol_nb, ex_nb = nbformat.reads(solution, 4), nbformat.reads(exercise, 4)
                assert len(sol_nb.cells) == len(ex_nb.cells)
                count = 0
                for sol_cell, ex_cell in zip(sol_nb.cells, ex_nb.cells, strict=True):
                    assert sol_cell.cell_type == ex_cell.cell_type
                    assert not sol_cell.get("outputs") and not ex_cell.get("outputs"), f"{where}: outputs"
                    count += _hunks_only_todo(
                        sol_cell.source.splitlines(), ex_cell.source.splitlines(), where, python=True
                    )
            else:
                count = _hunks_only_todo(solution.splitlines(), exercise.splitlines(), where, path.endswith(".py"))
            if path.endswith(".py"):
                # The task is to write code, not imports: the exercise module still imports what
                # the solution does (with imports at the top, a removed body keeps them).
                assert _imports(exercise) == _imports(solution), where
            assert count == steps_by_name[name].regions[path], where


def test_each_step_carries_what_it_needs(built: Repo):
    def files(branch: str) -> set[str]:
        return set(git(built, "ls-tree", "-r", "--name-only", branch).splitlines())

    # Steps 1-3: the prototype notebook; the package from step 3 on, the plotting module only.
    for n in (1, 2, 3):
        assert "iris_prototype.ipynb" in files(CHAIN[n - 1])
        assert not {f for f in files(CHAIN[n - 1]) if f.startswith(("stages/", "dvc", ".dvc/"))}, n
    assert {f for f in files(CHAIN[2]) if f.startswith("src/")} == {
        "src/iris_pipeline/__init__.py",
        "src/iris_pipeline/plots.py",
    }
    # The label column is fixed by the data: no step reads a `target_column` setting.
    for branch in CHAIN:
        for path in files(branch) - {"dvc.lock"}:
            if path.endswith((".ipynb", ".py", ".yaml", ".md")):
                assert "target_column" not in git(built, "show", f"{branch}:{path}"), f"{branch}:{path}"
    # Step 4 on: main's package, file for file (the stages import every module of it).
    for branch in CHAIN[3:]:
        assert git(built, "rev-parse", f"{branch}:src") == git(built, "rev-parse", "HEAD:src"), branch
    # Step 5 on: main's DVC config (the page `dvc plots show` writes offline), once; step 6 adds a remote.
    mains_config = git(built, "show", "HEAD:.dvc/config")
    for branch in CHAIN[4:]:
        assert git(built, "show", f"{branch}:.dvc/config").count(mains_config) == 1, branch
    assert "['remote \"storage\"']" in git(built, "show", f"{CHAIN[5]}:.dvc/config")
    # The stages get one parameter, the params file: no value is passed on a command line.
    runner = git(built, "show", f"{CHAIN[3]}:run_pipeline.py")
    assert 'parameters={"params_file": params_file}' in runner
    assert "-p " not in git(built, "show", f"{CHAIN[3]}:README.md").replace("-p params_file", "")


def test_last_step_holds_mains_pipeline(built: Repo):
    for path in PIPELINE_FILES:
        assert git(built, "rev-parse", f"{LAST}:{path}") == git(built, "rev-parse", f"HEAD:{path}"), path
    # main's .gitignore, and after it what the steps' own commands leave: nothing else.
    ignored, mains = git(built, "show", f"{LAST}:.gitignore"), git(built, "show", "HEAD:.gitignore")
    assert ignored.startswith(mains + "\n")
    extra = [line for line in ignored.removeprefix(mains).splitlines() if line and not line.startswith("#")]
    assert extra == ["/my-params.yaml"]
    for ignored_on_main in (".venv", "/reports/runs/iris_prototype.ipynb"):  # a link; what steps 1-3 write
        assert ignored_on_main in mains.splitlines(), ignored_on_main
    files = git(built, "ls-tree", "-r", "--name-only", LAST).splitlines()
    # The package is main's, each module as on main, and nothing of the course's machinery.
    assert sorted(f for f in files if f.startswith("src/")) == sorted(f"src/iris_pipeline/{m}.py" for m in PACKAGE)
    assert not [f for f in files if f.startswith(("lessons/", "tools/", "tests/"))]
    # Of main's course/, only what `make check` and `make progress` run on a step branch.
    course = sorted(f for f in files if f.startswith("course/"))
    assert course == ["course/check.py", "course/checklib.py", "course/expected.json", "course/progress.py"]


# ------------------------------------------------------- each step's own files against main's


def own(step: int, name: str) -> str:
    """A step's own version of a file (course/step-N/...), as its solution branch has it."""
    return split_markers((REPO_ROOT / f"course/step-{step}/{name}").read_text(), name, python=False)[0]


def mains(path: str) -> str:
    return (REPO_ROOT / path).read_text()


def pipeline_before(*later: str) -> dict:
    """main's dvc.yaml as a step before `later` (the evaluate stage's metrics, plots): those
    files still plain outs of the stage, and no top-level plots."""
    pipeline = yaml.safe_load(mains("dvc.yaml"))
    del pipeline["plots"]
    evaluate = pipeline["stages"]["evaluate"]
    for kind in later:
        evaluate["outs"] += [next(iter(entry)) for entry in evaluate.pop(kind)]
    return pipeline


def test_a_steps_own_files_are_mains_with_what_that_step_lacks_or_adds():
    """main is the one source: a step's own version of a file of main's differs from it only
    as the step must (so a change on main that a step's file lacks fails here, naming it)."""
    project = tomllib.loads(mains("pyproject.toml"))
    del project["tool"]["pytest"], project["tool"]["ruff"]  # the course's tests and tools
    expected = {
        "step-3/plots.py.in": own(3, "plots.py.in") == mains("src/iris_pipeline/plots.py"),
        "step-4/pyproject.toml.in": tomllib.loads(own(4, "pyproject.toml.in")) == project,
        "step-5/gitignore": own(5, "gitignore")
        == mains(".gitignore") + "# Written by step 4's README: a params file of your own\n/my-params.yaml\n",
        "step-5/reports-gitignore": own(5, "reports-gitignore")
        == mains("reports/.gitignore") + "/metrics.json\n/confusion_matrix_data.csv\n",
        "step-7/reports-gitignore": own(7, "reports-gitignore")
        == mains("reports/.gitignore") + "/confusion_matrix_data.csv\n",
        "step-5/dvc.yaml.in": yaml.safe_load(own(5, "dvc.yaml.in")) == pipeline_before("metrics", "plots"),
        "step-7/dvc.yaml.in": yaml.safe_load(own(7, "dvc.yaml.in")) == pipeline_before("plots"),
        "step-8/dvc.yaml.in": own(8, "dvc.yaml.in") == mains("dvc.yaml"),
        "step-6/dvc-config": own(6, "dvc-config").endswith("\n" + mains(".dvc/config")),
    }
    header = mains("dvc.yaml").partition("\nstages:")[0]  # what dvc.yaml says of itself
    # DVC takes every dvc.yaml in the repository for a pipeline: main has one.
    tracked = git(Repo(REPO_ROOT, dict(os.environ)), "ls-files", "dvc.yaml", "*/dvc.yaml").split()
    assert tracked == ["dvc.yaml"], f"a step's own dvc.yaml must be named dvc.yaml.in: {tracked}"
    expected |= {f"step-{n}/dvc.yaml.in (header)": own(n, "dvc.yaml.in").startswith(header) for n in (5, 7)}
    assert all(expected.values()), "differ from main's file: " + ", ".join(
        f"course/{f}" for f in expected if not expected[f]
    )


# ---------------------------------------------------------------- the builder's refusals


def test_refuses_changed_sources_moved_branches_and_checked_out_branch(tmp_path: Path):
    clone = course_clone(tmp_path)
    head = git(clone, "rev-parse", "HEAD")
    branch = git(clone, "symbolic-ref", "--short", "HEAD")  # whatever the course's branch is called
    steps(clone, "build", "--no-steps-dir")
    again = steps(clone, "build", "--no-steps-dir")  # safe to run again: nothing moves
    assert "created" not in again.stdout and "updated" not in again.stdout

    (clone.root / "params.yaml").write_text((clone.root / "params.yaml").read_text() + "# edited\n")
    dirty = steps(clone, "build", check=False)
    assert dirty.returncode == 1 and "uncommitted changes" in dirty.stderr and "  params.yaml" in dirty.stderr
    # The learner's edit, branch and HEAD are untouched by the refusal, and no steps folder was made.
    assert git(clone, "status", "--porcelain") == "M params.yaml"
    assert git(clone, "symbolic-ref", "--short", "HEAD") == branch
    assert git(clone, "rev-parse", "HEAD") == head
    assert not default_steps_dir(clone.root).exists()
    git(clone, "checkout", "--", "params.yaml")

    before = {b: git(clone, "rev-parse", b) for b in CHAIN}
    same = steps(clone, "build", "--no-steps-dir", "--force")
    assert "created" not in same.stdout and "updated" not in same.stdout
    assert {b: git(clone, "rev-parse", b) for b in CHAIN} == before

    # After a change of the source (as after a pull), a rebuild moves the branches from that step on.
    readme = clone.root / "course/step-6/README.md"
    readme.write_text(readme.read_text() + "\nOne more line.\n")
    git(clone, "commit", "-qam", "Edit step 6")
    moved = steps(clone, "build", "--no-steps-dir", check=False)
    assert moved.returncode == 1 and "exist already" in moved.stderr and "FORCE=1" in moved.stderr
    busy_tree = tmp_path / "wt-step-7"
    git(clone, "worktree", "add", "-q", str(busy_tree), STEPS[6])  # the learner works on step 7
    busy = steps(clone, "rebuild", "--no-steps-dir", check=False)
    assert busy.returncode == 1 and "is checked out" in busy.stderr
    assert {b: git(clone, "rev-parse", b) for b in CHAIN} == before  # all or nothing
    git(clone, "worktree", "remove", str(busy_tree))
    updated = steps(clone, "rebuild", "--no-steps-dir")
    assert f"updated   {STEPS[5]}" in updated.stdout and f"unchanged {CHAIN[4]}" in updated.stdout
    assert "One more line." in git(clone, "show", f"{STEPS[5]}:README.md")
    assert git(clone, "rev-parse", CHAIN[4]) == before[CHAIN[4]]
    assert git(clone, "status", "--porcelain") == ""
    wrong = steps(clone, "rebuild", "--no-steps-dir", "--from", STEPS[0], check=False)
    assert wrong.returncode == 1 and "course/steps.yaml is not in commit" in wrong.stderr
    listing = steps(clone, "list").stdout.splitlines()
    assert len(listing) == 16 and all(line.startswith("current ") for line in listing)


def test_rebuild_updates_the_steps_folder_it_can_and_refuses_one_with_work(tmp_path: Path):
    clone = course_clone(tmp_path)
    folder = tmp_path / "my-steps"
    made = steps(clone, "build", "--steps-dir", str(folder))
    assert f"Steps folder (created): {folder}, on {STEPS[0]}" in made.stdout
    assert os.readlink(folder / ".venv") == os.path.relpath(clone.root / ".venv", folder)
    reused = steps(clone, "build", "--steps-dir", str(folder))  # again: nothing changes, the folder is reused
    assert "Steps folder (reused)" in reused.stdout and "created" not in reused.stdout.replace("(created)", "")

    # The learner is on step 1 in the steps folder when the course's step 1 changes (after a pull).
    readme = clone.root / "course/step-1/README.md"
    readme.write_text(readme.read_text() + "\nA new line.\n")
    git(clone, "commit", "-qam", "Edit step 1")
    work = folder / "iris_prototype.ipynb"
    work.write_text(work.read_text().replace('"cells": [', '"cells": [ ', 1))  # uncommitted work
    before = git(clone, "rev-parse", STEPS[0])
    refused = steps(clone, "rebuild", "--steps-dir", str(folder), check=False)
    assert refused.returncode == 1 and "uncommitted changes" in refused.stderr and str(folder) in refused.stderr
    assert git(clone, "rev-parse", STEPS[0]) == before
    assert git(clone, "status", "--porcelain", cwd=folder) == "M iris_prototype.ipynb"  # the work is still there

    git(clone, "checkout", "--", "iris_prototype.ipynb", cwd=folder)
    updated = steps(clone, "rebuild", "--steps-dir", str(folder))
    assert f"updated   {STEPS[0]}" in updated.stdout and "Steps folder (reused)" in updated.stdout
    assert git(clone, "branch", "--show-current", cwd=folder) == STEPS[0]  # back on its branch, moved
    assert (folder / "README.md").read_text().endswith("A new line.\n")
    assert git(clone, "status", "--porcelain", cwd=folder) == ""

    # A folder that is not a worktree of the clone is never used.
    other = tmp_path / "taken"
    other.mkdir()
    (other / "notes.txt").write_text("mine\n")
    taken = steps(clone, "build", "--steps-dir", str(other), check=False)
    assert taken.returncode == 1 and "is not a working tree of this repository" in taken.stderr
    assert [p.name for p in other.iterdir()] == ["notes.txt"]


def test_outside_a_repository(tmp_path: Path):
    result = run(
        [sys.executable, str(REPO_ROOT / "course/build_steps.py"), "build", "-C", str(tmp_path)],
        tmp_path,
        {**os.environ, "GIT_CEILING_DIRECTORIES": str(tmp_path.parent)},
        check=False,
    )
    assert result.returncode == 1 and "not inside a git repository" in result.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# <solution> task\nx = 1\n", "never closed"),
        ("# <solution>\nx = 1\n# </solution>\n", "needs a task"),
        ("x = 1\n# </solution>\n", "without an opening"),
        ("# <solution> a\n# <solution> b\n# </solution>\n", "inside a region"),
    ],
)
def test_bad_markers_are_named(text: str, message: str):
    with pytest.raises(StepsError, match=message):
        split_markers(text, "x.py", python=True)


# ---------------------------------------------------------------- the walk


def _metrics(root: Path) -> dict:
    return json.loads((root / "reports/metrics.json").read_text())


NOTEBOOK_COMMAND = (
    "jupyter nbconvert --to notebook --execute --KernelManager.transport=ipc iris_prototype.ipynb "
    "--output-dir reports/runs"
)
TCP_WARNING = "Kernel is running over TCP without encryption"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class Walk:
    """The learner of the README: the clone (a lesson run in it) and the steps folder `make steps` made."""

    def __init__(self, repo: Repo):
        self.repo, self.root = repo, default_steps_dir(repo.root)

    def run(self, command: str, step: int, check: bool = True, readme: bool = True):
        """Run a command in the steps folder, one the current branch's README shows (checked) unless `readme` is False.

        From step 3 on, the README has the learner `export PYTHONPATH="$PWD/src"`: the branch's package.
        """
        if readme:
            assert command in (self.root / "README.md").read_text(), f"the README does not show `{command}`"
        argv = command.split()
        argv = [sys.executable, *argv[1:]] if argv[0] == "python" else argv
        env = {"PYTHONPATH": str(self.root / "src")} if step >= 3 else {}
        result = self.repo.run(*argv, cwd=self.root, check=check, **env)
        assert TCP_WARNING not in result.stderr, f"{command}: {result.stderr}"
        return result

    def switch(self, branch: str) -> None:
        """`git switch` in the steps folder; both folders clean before and after (the lesson is the learner's)."""
        for moment in ("before", "after"):
            assert git(self.repo, "status", "--porcelain", cwd=self.root) == "", f"steps folder {moment} {branch}"
            assert git(self.repo, "status", "--porcelain") == self.repo.lesson_status.strip(), f"checkout {moment}"
            if moment == "before":
                git(self.repo, "switch", "-q", branch, cwd=self.root)
        assert git(self.repo, "branch", "--show-current", cwd=self.root) == branch

    def unsolved(self, step: int, command: str) -> None:
        """On the exercise branch, the documented command fails and names a task that is missing."""
        exercise = STEPS[step - 1]
        self.switch(exercise)
        result = self.run(command, step, check=False)
        output = ANSI.sub("", result.stdout + result.stderr)
        assert result.returncode != 0, f"{exercise}: `{command}` succeeded although the exercise is not solved"
        tasks = []
        for path in git(self.repo, "diff", "--name-only", exercise, exercise + SOLUTION).splitlines():
            text = git(self.repo, "show", f"{exercise}:{path}")
            if path.endswith(".ipynb"):
                text = "\n".join(cell.source for cell in nbformat.reads(text, 4).cells)
            tasks += [line.strip().removeprefix(TODO_PREFIX) for line in text.splitlines() if TODO_PREFIX in line]
        assert tasks, exercise
        named = [task for task in tasks if f"{TODO_ERROR}: TODO (exercise): {task}" in output]
        assert named, f"{exercise}: the failure names no task:\n{output[-2000:]}"
        assert "done:" not in result.stdout  # no claim of success


@pytest.mark.slow
def test_walk_the_steps_beside_the_lessons(built: Repo):
    """Steps 1 to 8 in the steps folder `make steps` made, each README's commands, in order."""
    walk = Walk(built)
    root = walk.root
    assert (root / ".venv").is_symlink() and (root / ".venv").resolve() == (built.root / ".venv").resolve()
    assert git(built, "branch", "--show-current", cwd=root) == STEPS[0]  # where make steps leaves it

    for step in (1, 2, 3):  # the prototype notebook
        walk.unsolved(step, NOTEBOOK_COMMAND)
        walk.switch(CHAIN[step - 1])
        walk.run(NOTEBOOK_COMMAND, step)
        assert _metrics(root) == {"f1": COMMITTED_F1}
        assert f"```\n{(root / 'reports/metrics.json').read_text()}```" in (root / "README.md").read_text()
        for path in (
            "data/raw/iris.csv",
            "data/processed/test_iris.csv",
            "models/model.joblib",
            "reports/confusion_matrix.png",
            "reports/runs/iris_prototype.ipynb",
        ):
            assert (root / path).is_file(), f"step {step}: {path}"

    # Step 4: the stages, run by run_pipeline.py.
    walk.unsolved(4, "python run_pipeline.py")
    walk.switch(CHAIN[3])
    result = walk.run("python run_pipeline.py", 4)
    assert result.stdout.count("==> ") == 5
    assert _metrics(root) == {"f1": COMMITTED_F1}
    executed = nbformat.read(root / "reports/runs/evaluate.ipynb", 4)
    assert executed.metadata.papermill.parameters == {"params_file": "params.yaml"}
    # One stage with a params file of one's own (written in the folder, git-ignored).
    walk.run("cp params.yaml my-params.yaml", 4)
    set_param(root / "my-params.yaml", "data_split.test_size", 0.3)
    walk.run(
        "papermill --engine reproducible stages/data_split.ipynb reports/runs/data_split.ipynb "
        "-p params_file my-params.yaml",
        4,
    )
    executed = nbformat.read(root / "reports/runs/data_split.ipynb", 4)
    assert executed.metadata.papermill.parameters == {"params_file": "my-params.yaml"}

    # Step 5: dvc repro.
    walk.switch(CHAIN[4])
    first = walk.run("dvc repro", 5).stdout
    # A fresh steps folder: no run-cache yet, so what step 4 left differently (the split) runs.
    assert "Running stage 'data_split'" in first and "is cached" not in first
    assert _metrics(root) == {"f1": COMMITTED_F1}
    assert "up to date" in walk.run("dvc repro", 5).stdout
    walk.run("dvc dag", 5)
    set_param(root / "params.yaml", "data_split.test_size", 0.3)
    changed = walk.run("dvc repro", 5, readme=False).stdout
    assert "Running stage 'data_split'" in changed and "Running stage 'data_load'" not in changed
    walk.run("git restore params.yaml dvc.lock", 5)
    restored = walk.run("dvc repro", 5).stdout
    assert "Stage 'data_split' is cached - skipping run" in restored  # the run-cache
    assert "Running stage" not in restored
    forced = walk.run("dvc repro --force", 5).stdout
    assert all(f"Running stage '{stage}'" in forced for stage in ("data_load", "data_split", "evaluate"))
    assert _metrics(root) == {"f1": COMMITTED_F1}

    # Step 6: a DVC remote.
    walk.switch(CHAIN[5])
    # The solution's remote is /tmp/iris-dvc-remote; this walk's own, in config.local (git ignores it).
    remote = root.parent / "walk-dvc-remote"
    walk.run(f"dvc remote modify --local storage url {remote}", 6, readme=False)
    walk.run("dvc repro", 6)
    walk.run("dvc push", 6)
    assert remote.is_dir() and any(remote.rglob("*"))
    walk.run("rm data/raw/iris.csv models/model.joblib", 6)
    assert "deleted" in walk.run("dvc status", 6).stdout
    walk.run("dvc checkout", 6)
    walk.run("rm -rf .dvc/cache", 6, readme=False)
    walk.run("dvc pull", 6, readme=False)
    assert (root / "models/model.joblib").is_file()

    # Step 7: the score as a DVC metric.
    walk.switch(CHAIN[6])
    walk.run("dvc repro", 7)
    walk.run("dvc metrics show", 7)
    set_param(root / "params.yaml", "train.estimators.logreg.param_grid.C", [0.1])
    walk.run("dvc repro", 7)
    shown = walk.run("dvc metrics diff", 7).stdout
    quoted = re.search(r"HEAD \(([0-9.]+), 5 digits shown\)", (root / "README.md").read_text())
    assert quoted and quoted.group(1) in shown.split(), shown  # the figure as DVC's table prints it
    diff = json.loads(walk.run("dvc metrics diff --json", 7, readme=False).stdout)
    assert diff["reports/metrics.json"]["f1"]["old"] == COMMITTED_F1  # HEAD's score, against the new one
    walk.run("dvc params diff", 7)
    walk.run("git restore params.yaml dvc.lock reports/metrics.json", 7)
    walk.run("dvc repro", 7)

    # Step 8: DVC plots.
    walk.switch(CHAIN[7])
    walk.run("dvc repro", 8)
    assert _metrics(root) == {"f1": COMMITTED_F1}
    walk.run("dvc plots show", 8)
    assert (root / "dvc_plots/index.html").is_file()
    # The branch holds main's results: the run changed no committed file.
    assert str(COMMITTED_F1) in walk.run("dvc metrics show --json", 8, readme=False).stdout
    walk.switch(STEPS[0])  # back to the start: nothing of steps 1-8 is left untracked


# ---------------------------------------------------------------- figures in the step READMEs


def _figures_known() -> set[str]:
    """What a step README may quote: the committed score as metrics.json holds it and as DVC's
    tables show it (5 decimals), and the values of params.yaml (a README names a default)."""

    def values(node):
        if isinstance(node, dict):
            for value in node.values():
                yield from values(value)
        elif isinstance(node, list):
            for value in node:
                yield from values(value)
        else:
            yield node

    params = yaml.safe_load((REPO_ROOT / "params.yaml").read_text())
    numbers = [COMMITTED_F1, round(COMMITTED_F1, 5), *(v for v in values(params) if isinstance(v, float))]
    return {str(number) for number in numbers}


class WorkingTree:
    """What `render_names` reads, from this checkout's files rather than a commit."""

    def read(self, path: str) -> bytes:
        return (REPO_ROOT / path).read_bytes()


def rendered_readme(step: int) -> str:
    """A step's README as the builder writes it (`render: true`), from this checkout's values."""
    text = (REPO_ROOT / "course" / f"step-{step}" / "README.md").read_bytes()
    return render_file(text, f"step-{step}/README.md", render_names(WorkingTree())).decode()


@pytest.mark.parametrize("step", range(1, 9))
def test_figures_in_a_step_readme_are_the_committed_ones(step: int):
    """A score or value quoted in a step README, as built, is main's committed one: a literal
    left in the source goes stale when the pipeline's score moves, and fails here (the walk
    test checks that each step's run gives COMMITTED_F1)."""
    known = _figures_known()
    stale = [
        f"README.md:{number}: {figure}"
        for number, line in enumerate(rendered_readme(step).splitlines(), 1)
        for figure in QUOTED.findall(line)
        if figure not in known
    ]
    assert not stale, "figures that are not the committed ones:\n" + "\n".join(stale)


@pytest.mark.parametrize("step", [1, 2, 3, 4, 5])
def test_readmes_show_metrics_json_as_cat_prints_it(step: int):
    """Not `{"f1": ...}` on one line: the file as the pipeline writes it (indent 2), in its own block."""
    committed = (REPO_ROOT / "reports/metrics.json").read_text()
    assert committed.count("\n") > 1  # pretty-printed
    text = rendered_readme(step)
    assert "cat reports/metrics.json\n" in text, f"step {step}: no `cat reports/metrics.json`"
    assert f"```\n{committed}```" in text
    assert '{"f1"' not in text


def test_readmes_quote_the_committed_score_and_default_from_their_sources():
    params = yaml.safe_load((REPO_ROOT / "params.yaml").read_text())
    default_c = params["train"]["estimators"]["logreg"]["param_grid"]["C"]
    assert f"`{default_c}` to `[0.1]`" in rendered_readme(7)
    assert f"HEAD ({round(COMMITTED_F1, 5)}, 5 digits shown)" in rendered_readme(7)


def test_rendering_names_a_failing_field_and_writes_python_literals():
    names = render_names(WorkingTree())
    with pytest.raises(StepsError, match=r"x\.md: UndefinedError: .*'f2'"):
        render_file(b'{{ metrics["f2"] }}', "x.md", names)
    assert render_file(b"{{ py(x) }}", "x.py", {"x": {"a": ("b", "c")}}) == b'{"a": ("b", "c")}'
    long = {f"feature_{i}_to_feature_{i + 1}": (f"feature_{i}", f"feature_{i + 1}") for i in range(3)}
    written = render_file(b"{{ py(x) }}", "x.py", {"x": long}).decode()  # one item a line, past 80 characters
    assert written.splitlines()[1] == '    "feature_0_to_feature_1": ("feature_0", "feature_1"),'
    assert ast.literal_eval(written) == long
