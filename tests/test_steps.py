"""The course's step branches (`python course/build_steps.py`, course/steps.yaml).

Everything runs in a temporary `git clone` of this repository (conftest's
`Repo.clone_of_this_repo`), so only committed files take part, as for a learner who just
cloned the course. The slow tests walk the course as the README says: a lesson run (so
modified) in the clone, `make steps`'s command, then in the steps folder it made, every
step in turn with what its README says to run, `git status` clean in both folders at
every switch.
"""

from __future__ import annotations

import ast
import difflib
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
import yaml

from build_steps import (
    AUTHOR_EMAIL,
    AUTHOR_NAME,
    BASE_DATE,
    SOLUTION_SUFFIX,
    TODO_ERROR,
    TODO_PREFIX,
    Git,
    Source,
    StepsError,
    _content,
    append_yaml_items,
    commit_env,
    default_steps_dir,
    drop_toml_tables,
    drop_yaml_keys,
    package_modules,
    plan,
    py_literal,
    python_def_region,
    render_names,
    render_text,
    split_markers,
    yaml_key_region,
)
from conftest import COMMITTED_F1, QUOTED, REPO_ROOT, Repo, run, set_param

STEPS = [
    "step-1-organize-ml-project",
    "step-2-create-config-file",
    "step-3-reusable-code",
    "step-4-build-ml-pipeline",
    "step-5-automate-ml-pipeline",
    "step-6-data-and-model-version-control",
    "step-7-metrics-and-experiments",
    "step-8-metrics-and-plots",
]
WITH_EXERCISE = set(range(1, 9))  # every step: the exercise branch and its _SOLUTION
CHAIN = [f"{name}{SOLUTION_SUFFIX}" if n in WITH_EXERCISE else name for n, name in enumerate(STEPS, 1)]
LAST = CHAIN[-1]
DEFAULT_F1 = COMMITTED_F1  # the steps reproduce main's score
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


def course_clone(base: Path, name: str = "course") -> Repo:
    """A fresh clone of the course, git and DVC isolated, with commit dates as a learner has them.

    conftest's isolation fixes GIT_*_DATE; a learner has none, and the builder's own
    fixed dates must be what makes the commit ids the same everywhere.
    """
    repo = Repo.clone_of_this_repo(base, name)
    repo.env = {k: v for k, v in repo.env.items() if k not in ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE", "PYTHONPATH")}
    return repo


def steps(repo: Repo, *args: str, check: bool = True):
    """The documented command, `python course/build_steps.py`, with the clone's own copy."""
    return repo.run(sys.executable, "course/build_steps.py", *args, check=check)


def git(repo: Repo, *args: str, cwd: Path | None = None) -> str:
    return repo.run("git", *args, cwd=cwd).stdout.strip()


def worktree(repo: Repo, branch: str, path: Path) -> Path:
    git(repo, "worktree", "add", "--detach", "-q", str(path), branch)
    return path


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
    expected = set(STEPS) | {f"{STEPS[n - 1]}{SOLUTION_SUFFIX}" for n in WITH_EXERCISE}
    assert expected <= branches
    # One commit per step, each on the one before.
    assert not git(built, "rev-list", "--parents", "-n1", CHAIN[0]).split()[1:]
    for before, after in zip(CHAIN, CHAIN[1:], strict=False):
        assert git(built, "rev-parse", f"{after}^") == git(built, "rev-parse", before)
        git(built, "merge-base", "--is-ancestor", before, after)
    # An exercise branch is a sibling of its solution: same parent, one commit.
    for n in WITH_EXERCISE:
        name = STEPS[n - 1]
        parents = git(built, "rev-list", "--parents", "-n1", name).split()[1:]
        assert parents == git(built, "rev-list", "--parents", "-n1", name + SOLUTION_SUFFIX).split()[1:]
    subjects = git(built, "log", "--format=%s", LAST).splitlines()
    assert [s.split(":")[0] for s in reversed(subjects)] == [f"Step {n}" for n in range(1, 9)]
    # The course's fixed identity and dates (step N, N minutes after the base date).
    for n, branch in enumerate(CHAIN, 1):
        stamp = git(built, "log", "-1", "--format=%an|%ae|%at|%cn|%ce|%ct", branch)
        date = str(BASE_DATE + 60 * n)
        assert stamp == "|".join([AUTHOR_NAME, AUTHOR_EMAIL, date] * 2), branch
    # Every step explains itself in its README, naming its branch.
    for name in STEPS:
        assert name in git(built, "show", f"{name}:README.md")


def test_same_source_gives_same_commits(built: Repo, tmp_path: Path):
    other = course_clone(tmp_path)
    steps(other, "build")
    for branch in CHAIN:
        assert git(other, "rev-parse", branch) == git(built, "rev-parse", branch)


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
    for n in WITH_EXERCISE:
        name = STEPS[n - 1]
        changed = git(built, "diff", "--name-only", name, name + SOLUTION_SUFFIX).splitlines()
        assert sorted(changed) == sorted(steps_by_name[name].regions), name
        for path in changed:
            solution = git(built, "show", f"{name}{SOLUTION_SUFFIX}:{path}")
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
                python = path.endswith(".py")
                count = _hunks_only_todo(solution.splitlines(), exercise.splitlines(), where, python)
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
        assert not {f for f in files(CHAIN[n - 1]) if f.startswith(("stages/", "dvc"))}, n
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


def _metrics(root: Path) -> dict:
    return json.loads((root / "reports/metrics.json").read_text())


def _readme_command(root: Path, command: str) -> list[str]:
    """A command the branch's README tells the learner to run (checked to be there), as argv."""
    assert command in (root / "README.md").read_text(), f"the README does not show `{command}`"
    argv = command.split()
    return [sys.executable, *argv[1:]] if argv[0] == "python" else argv


NOTEBOOK_COMMAND = (
    "jupyter nbconvert --to notebook --execute --KernelManager.transport=ipc iris_prototype.ipynb "
    "--output-dir reports/runs"
)
TCP_WARNING = "Kernel is running over TCP without encryption"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class Walk:
    """The learner of the README: the clone (a lesson run in it) and the steps folder `make steps` made."""

    repo: Repo
    root: Path
    done: int = 0

    def run(self, command: str, step: int, check: bool = True, readme: bool = True):
        """Run a command of the current branch's README in the steps folder, as the README says.

        From step 3 on, the README has the learner `export PYTHONPATH="$PWD/src"`: the branch's package.
        """
        argv = _readme_command(self.root, command) if readme else command.split()
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

    def tasks(self, exercise: str) -> list[str]:
        """The `# TODO (exercise)` tasks of an exercise branch, from the files it changes."""
        found = []
        for path in git(self.repo, "diff", "--name-only", exercise, exercise + SOLUTION_SUFFIX).splitlines():
            text = git(self.repo, "show", f"{exercise}:{path}")
            if path.endswith(".ipynb"):
                text = "\n".join(cell.source for cell in nbformat.reads(text, 4).cells)
            found += [line.strip().removeprefix(TODO_PREFIX) for line in text.splitlines() if TODO_PREFIX in line]
        assert found, exercise
        return found

    def unsolved(self, step: int, command: str) -> None:
        """On the exercise branch, the documented command fails and names a task that is missing."""
        exercise = STEPS[step - 1]
        self.switch(exercise)
        result = self.run(command, step, check=False)
        output = ANSI.sub("", result.stdout + result.stderr)
        assert result.returncode != 0, f"{exercise}: `{command}` succeeded although the exercise is not solved"
        named = [task for task in self.tasks(exercise) if f"{TODO_ERROR}: TODO (exercise): {task}" in output]
        assert named, f"{exercise}: the failure names no task:\n{output[-2000:]}"
        assert "done:" not in result.stdout  # no claim of success


@pytest.fixture(scope="module")
def walk(built: Repo) -> Walk:
    root = default_steps_dir(built.root)
    assert (root / ".venv").is_symlink() and (root / ".venv").resolve() == (built.root / ".venv").resolve()
    assert git(built, "branch", "--show-current", cwd=root) == STEPS[0]  # where make steps leaves it
    return Walk(built, root)


@pytest.mark.slow
@pytest.mark.parametrize("step", range(1, 9))
def test_walk_the_steps_beside_the_lessons(walk: Walk, step: int):
    """Steps 1 to 8 in the steps folder, each README's commands; tests run in order, each on the last."""
    assert walk.done == step - 1, f"step {walk.done + 1} failed: this one starts from where it stopped"
    root = walk.root
    if step <= 3:
        walk.unsolved(step, NOTEBOOK_COMMAND)
        walk.switch(CHAIN[step - 1])
        walk.run(NOTEBOOK_COMMAND, step)
        assert _metrics(root) == {"f1": DEFAULT_F1}
        assert f"```\n{(root / 'reports/metrics.json').read_text()}```" in (root / "README.md").read_text()
        for path in (
            "data/raw/iris.csv",
            "data/processed/test_iris.csv",
            "models/model.joblib",
            "reports/confusion_matrix.png",
            "reports/runs/iris_prototype.ipynb",
        ):
            assert (root / path).is_file(), path
    elif step == 4:
        walk.unsolved(step, "python run_pipeline.py")
        walk.switch(CHAIN[3])
        result = walk.run("python run_pipeline.py", step)
        assert result.stdout.count("==> ") == 5
        assert _metrics(root) == {"f1": DEFAULT_F1}
        executed = nbformat.read(root / "reports/runs/evaluate.ipynb", 4)
        assert executed.metadata.papermill.parameters == {"params_file": "params.yaml"}
        # One stage with a params file of one's own (written in the folder, git-ignored).
        walk.run("cp params.yaml my-params.yaml", step)
        set_param(root / "my-params.yaml", "data_split.test_size", 0.3)
        walk.run(
            "papermill --engine reproducible stages/data_split.ipynb reports/runs/data_split.ipynb "
            "-p params_file my-params.yaml",
            step,
        )
        executed = nbformat.read(root / "reports/runs/data_split.ipynb", 4)
        assert executed.metadata.papermill.parameters == {"params_file": "my-params.yaml"}
    elif step == 5:
        walk.switch(CHAIN[4])
        first = walk.run("dvc repro", step).stdout
        # A fresh steps folder: no run-cache yet, so what step 4 left differently (the split) runs.
        assert "Running stage 'data_split'" in first and "is cached" not in first
        assert _metrics(root) == {"f1": DEFAULT_F1}
        assert "up to date" in walk.run("dvc repro", step).stdout
        walk.run("dvc dag", step)
        set_param(root / "params.yaml", "data_split.test_size", 0.3)
        changed = walk.run("dvc repro", step, readme=False).stdout
        assert "Running stage 'data_split'" in changed and "Running stage 'data_load'" not in changed
        walk.run("git restore params.yaml dvc.lock", step)
        restored = walk.run("dvc repro", step).stdout
        assert "Stage 'data_split' is cached - skipping run" in restored  # the run-cache
        assert "Running stage" not in restored
        forced = walk.run("dvc repro --force", step).stdout
        assert all(f"Running stage '{stage}'" in forced for stage in ("data_load", "data_split", "evaluate"))
        assert _metrics(root) == {"f1": DEFAULT_F1}
    elif step == 6:
        walk.switch(CHAIN[5])
        # The solution's remote is /tmp/iris-dvc-remote; this walk's own, in config.local (git ignores it).
        remote = root.parent / "walk-dvc-remote"
        walk.run(f"dvc remote modify --local storage url {remote}", step, readme=False)
        walk.run("dvc repro", step)
        walk.run("dvc push", step)
        assert remote.is_dir() and any(remote.rglob("*"))
        walk.run("rm data/raw/iris.csv models/model.joblib", step)
        assert "deleted" in walk.run("dvc status", step).stdout
        walk.run("dvc checkout", step)
        walk.run("rm -rf .dvc/cache", step, readme=False)
        walk.run("dvc pull", step, readme=False)
        assert (root / "models/model.joblib").is_file()
    elif step == 7:
        walk.switch(CHAIN[6])
        walk.run("dvc repro", step)
        walk.run("dvc metrics show", step)
        set_param(root / "params.yaml", "train.estimators.logreg.param_grid.C", [0.1])
        walk.run("dvc repro", step)
        shown = walk.run("dvc metrics diff", step).stdout
        quoted = re.search(r"HEAD \(([0-9.]+), 5 digits shown\)", (root / "README.md").read_text())
        assert quoted and quoted.group(1) in shown.split(), shown  # the figure as DVC's table prints it
        diff = json.loads(walk.run("dvc metrics diff --json", step, readme=False).stdout)
        assert diff["reports/metrics.json"]["f1"]["old"] == DEFAULT_F1  # HEAD's score, against the new one
        walk.run("dvc params diff", step)
        walk.run("git restore params.yaml dvc.lock reports/metrics.json", step)
        walk.run("dvc repro", step)
    else:
        walk.switch(CHAIN[7])
        walk.run("dvc repro", step)
        assert _metrics(root) == {"f1": DEFAULT_F1}
        walk.run("dvc plots show", step)
        assert (root / "dvc_plots/index.html").is_file()
        # The branch holds main's results: the run changed no committed file.
        shown = walk.run("dvc metrics show --json", step, readme=False).stdout
        assert str(DEFAULT_F1) in shown
        walk.switch(STEPS[0])  # back to the start: nothing of steps 1-8 is left untracked
    walk.done = step


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


def rendered_readme(step: int, text: str | None = None) -> str:
    """A step's README as the builder writes it (`render: true`), from this checkout's values."""
    text = text if text is not None else (REPO_ROOT / "course" / f"step-{step}" / "README.md").read_text()
    return render_text(text, render_names(WorkingTree()), f"step-{step}/README.md")


@pytest.mark.parametrize("step", range(1, 9))
def test_figures_in_a_step_readme_are_the_committed_ones(step: int, text: str | None = None):
    """A score or value quoted in a step README, as built, is main's committed one: a literal
    left in the source goes stale when the pipeline's score moves, and fails here (the walk
    test checks that each step's run gives COMMITTED_F1)."""
    known = _figures_known()
    stale = [
        f"README.md:{number}: {figure}"
        for number, line in enumerate(rendered_readme(step, text).splitlines(), 1)
        for figure in QUOTED.findall(line)
        if figure not in known
    ]
    assert not stale, "figures that are not the committed ones:\n" + "\n".join(stale)


def test_a_stale_figure_in_a_step_readme_is_found():
    text = (REPO_ROOT / "course/step-1/README.md").read_text() + "\nThe score is 0.897698.\n"
    with pytest.raises(AssertionError, match=r"README.md:\d+: 0.897698"):
        test_figures_in_a_step_readme_are_the_committed_ones(1, text)


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


def test_render_names_a_failing_expression_and_writes_literals():
    with pytest.raises(StepsError, match=r"x.md: \{\{ metrics\[.f2.\] \}\}: KeyError"):
        render_text('{{ metrics["f2"] }}', render_names(WorkingTree()), "x.md")
    assert py_literal({"a": ("b", "c")}) == '{"a": ("b", "c")}'
    long = {f"feature_{i}_to_feature_{i + 1}": (f"feature_{i}", f"feature_{i + 1}") for i in range(3)}
    assert py_literal(long).splitlines()[1] == '    "feature_0_to_feature_1": ("feature_0", "feature_1"),'
    assert ast.literal_eval(py_literal(long)) == long


# ---------------------------------------------------------------- the builder's parts


def test_markers_give_solution_and_exercise():
    text = "a = 1\n    # <solution> set b to twice a\n    b = 2 * a\n    # </solution>\nprint(b)\n"
    solution, exercise, count = split_markers(text, "x.py")
    assert solution == "a = 1\n    b = 2 * a\nprint(b)\n"
    todo = (
        "    # TODO (exercise): set b to twice a\n    raise NotImplementedError('TODO (exercise): set b to twice a')\n"
    )
    assert exercise == f"a = 1\n{todo}print(b)\n"
    assert (
        split_markers(text, "x.yaml", python=False)[1] == "a = 1\n    # TODO (exercise): set b to twice a\nprint(b)\n"
    )
    assert count == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# <solution> task\nx = 1\n", "never closed"),
        ("# <solution>\nx = 1\n# </solution>\n", "needs a task"),
        ("x = 1\n# </solution>\n", "without an opening"),
        ("# <solution> a\n# <solution> b\n# </solution>\n", "inside the region"),
    ],
)
def test_bad_markers_are_named(text: str, message: str):
    with pytest.raises(StepsError, match=message):
        split_markers(text, "x.py")


def test_yaml_transforms():
    import yaml

    text = (
        "stages:\n  a:\n    cmd: x\n    outs:\n      - o1\n"
        "    metrics:\n      - m.json:\n          cache: false\n\nplots:\n  - p.png\n"
    )
    dropped = drop_yaml_keys(text, ["stages.a.metrics", "plots"], "dvc.yaml")
    assert yaml.safe_load(dropped) == {"stages": {"a": {"cmd": "x", "outs": ["o1"]}}}
    appended = append_yaml_items(dropped, {"stages.a.outs": ["m.json"]}, "dvc.yaml")
    assert yaml.safe_load(appended)["stages"]["a"]["outs"] == ["o1", "m.json"]
    exercise = yaml_key_region(text, "stages.a.metrics", "declare the metrics", "dvc.yaml")
    assert "    # TODO (exercise): declare the metrics\n" in exercise
    assert "metrics" not in yaml.safe_load(exercise)["stages"]["a"]
    with pytest.raises(StepsError, match="no key 'b'"):
        drop_yaml_keys(text, ["stages.b"], "dvc.yaml")


def test_toml_and_python_regions():
    toml = (
        '[project]\nname = "x"\n\n[tool.pytest.ini_options]\naddopts = "-q"\n'
        'markers = [\n  "slow",\n]\n\n[tool.ruff]\nline-length = 1\n'
    )
    assert drop_toml_tables(toml, ["tool.pytest.ini_options"], "p.toml") == (
        '[project]\nname = "x"\n\n[tool.ruff]\nline-length = 1\n'
    )
    code = 'def f(x):\n    """Twice x."""\n    y = 2 * x\n    return y\n\n\ndef g():\n    return 1\n'
    exercise = python_def_region(code, "f", "return twice x", "m.py")
    assert exercise.startswith(
        'def f(x):\n    """Twice x."""\n    # TODO (exercise): return twice x\n'
        "    raise NotImplementedError('TODO (exercise): return twice x')\n\n\ndef g"
    )
    ast.parse(exercise)


def test_package_modules_follow_imports():
    source = Source(Git(REPO_ROOT), "HEAD")  # reads committed blobs only
    folder = "src/iris_pipeline"

    def picked(*modules: str) -> list[str]:
        return sorted(package_modules(source, "pkg", folder, list(modules), "test"))

    # Imports at the top of a module are followed: features uses dataset's TARGET_COLUMN.
    assert picked("features") == ["pkg/__init__.py", "pkg/dataset.py", "pkg/features.py"]
    assert picked("plots") == ["pkg/__init__.py", "pkg/plots.py"]
    with pytest.raises(StepsError, match="is not in the commit"):
        picked("papermill_engine")


def test_imported_modules_forms():
    from build_steps import _imported_modules

    code = (
        "import os\nimport pkg.a\nfrom pkg.b import x\nfrom pkg import c\nfrom .d import y\n"
        "from . import e\nfrom .. import other\n\ndef f():\n    from pkg.g import z\n"
    )
    assert _imported_modules(code, "pkg") == {"a", "b", "c", "d", "e", "g"}


def test_outside_a_repository(tmp_path: Path):
    result = run(
        [sys.executable, str(REPO_ROOT / "course/build_steps.py"), "build", "-C", str(tmp_path)],
        tmp_path,
        {**os.environ, "GIT_CEILING_DIRECTORIES": str(tmp_path.parent)},
        check=False,
    )
    assert result.returncode == 1 and "not inside a git repository" in result.stderr


def _step_files(repo: Repo) -> dict[str, dict[str, str]]:
    """Each step's (solution) files that are text, by branch, from the builder's plan of the clone's HEAD."""
    source = Source(Git(repo.root), "HEAD")
    return {
        step.chain_branch: {path: _content(source, blob).decode() for path, blob in step.solution.items()}
        for step in plan(source)
        if not any(path.endswith((".png", ".joblib")) for path in step.solution)
    }


def test_steps_with_dvc_carry_mains_plots_config(tmp_path: Path):
    clone = course_clone(tmp_path)
    config = clone.root / ".dvc/config"
    section = ["# the offline page for dvc plots show", "[plots]", "    html_template = ../.venv/share/x/t.html"]
    config.write_text("[core]\n    autostage = false\n" + "\n".join(section) + "\n")
    git(clone, "commit", "-qam", "main's DVC config with a [plots] section")
    files = _step_files(clone)
    for n, branch in enumerate(CHAIN, 1):
        dvc_config = files[branch].get(".dvc/config")
        if n < 5:
            assert dvc_config is None, branch
            continue
        assert dvc_config.count("[plots]") == 1 and "\n".join(section) in dvc_config, f"{branch}:\n{dvc_config}"
    # Step 6's own remote is still there, with main's section after it.
    assert "['remote \"storage\"']" in files[CHAIN[5]][".dvc/config"]

    # Without a [plots] section on main, the steps' configs are their sources, unchanged.
    config.write_text("[core]\n    autostage = false\n")
    git(clone, "commit", "-qam", "no [plots] section")
    files = _step_files(clone)
    solution = split_markers((clone.root / "course/step-6/dvc-config").read_text(), "dvc-config", python=False)[0]
    assert files[CHAIN[5]][".dvc/config"] == solution
    assert all("[plots]" not in files[branch].get(".dvc/config", "") for branch in CHAIN)


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


def test_commit_identity_is_the_courses_even_where_git_variables_are_set(monkeypatch):
    """Some CI systems and containers set GIT_AUTHOR_*; the step commits must not take them
    (make regen-check's first run found commits made as its own identity)."""
    monkeypatch.setenv("GIT_AUTHOR_NAME", "someone")
    monkeypatch.setenv("GIT_COMMITTER_DATE", "1999-01-01T00:00:00")
    env = commit_env(2)
    assert (env["GIT_AUTHOR_NAME"], env["GIT_COMMITTER_NAME"]) == (AUTHOR_NAME, AUTHOR_NAME)
    assert env["GIT_COMMITTER_DATE"] == env["GIT_AUTHOR_DATE"] == f"{BASE_DATE + 120} +0000"
