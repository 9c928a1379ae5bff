"""The course's step branches (`python course/build_steps.py`, course/steps.yaml), built in a
temporary `git clone` of this repository (conftest.course_clone), as for a learner who just
cloned the course, and the step sources they are made from; the builder's own behaviour is
in test_build_steps.py. The slow test walks the course as the README says: a lesson run in
the clone, `make steps`'s command, then every step in the steps folder with what its README says.
"""

from __future__ import annotations

import ast
import difflib
import json
import os
import re
import sys
import tomllib
from types import SimpleNamespace
from typing import NamedTuple

import nbformat
import pytest
import yaml

import build_steps as bs
import regen
from conftest import CHAIN, COMMITTED_F1, QUOTED, REPO_ROOT, SOLUTION, STEPS, Repo, course_clone, git, steps

LAST = CHAIN[-1]
TODO = bs.TODO_PREFIX
# The pipeline files the last step takes unchanged from main (src/ is compared as one tree, from step 4 on).
PIPELINE_FILES = ["params.yaml", "dvc.yaml", "dvc.lock", ".dvcignore", ".dvc/.gitignore", "stages"]
PIPELINE_FILES += ["reports/metrics.json", "reports/confusion_matrix_data.csv", "reports/.gitignore"]
PIPELINE_FILES += [f"{folder}/.gitignore" for folder in ("data/raw", "data/processed", "models", "reports/runs")]
LESSON = "lessons/04-versioning-data.ipynb"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Repo:
    """A clone where a lesson was run (outputs, as JupyterLab leaves them), with every step
    branch built and the steps folder beside it. The clone's `.venv` stands for `make setup`'s:
    its `bin` and `share` are this checkout's (the steps folder's `.venv` links to it)."""
    clone = course_clone(tmp_path_factory.mktemp("steps"))
    (clone.root / ".venv").mkdir()
    for part in ("bin", "share"):
        (clone.root / ".venv" / part).symlink_to(REPO_ROOT / ".venv" / part)
    notebook = nbformat.read(clone.root / LESSON, 4)
    for count, cell in enumerate((c for c in notebook.cells if c.cell_type == "code"), 1):
        cell.execution_count = count
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"ran cell {count}\n")]
    nbformat.write(notebook, clone.root / LESSON)
    clone.lesson_status = f"M {LESSON}"
    steps(clone, "build")
    return clone


def test_branch_names_and_chain(built: Repo):
    parents = {b: git(built, "rev-list", "--parents", "-n1", b).split()[1:] for b in STEPS + CHAIN}
    # One commit per step, each on the one before; an exercise is a sibling of its solution.
    assert [parents[b] for b in CHAIN] == [[], *([git(built, "rev-parse", b)] for b in CHAIN[:-1])]
    assert [parents[b] for b in STEPS] == [parents[b] for b in CHAIN]
    subjects = git(built, "log", "--format=%s", LAST).splitlines()
    assert [s.split(":")[0] for s in reversed(subjects)] == [f"Step {n}" for n in range(1, 9)]
    # The course's fixed identity and dates (step N, N minutes after the base date), even where
    # GIT_AUTHOR_*/GIT_COMMITTER_* are set, as some CI systems and containers do: the same ids.
    for n, branch in enumerate(CHAIN, 1):
        stamp = git(built, "log", "-1", "--format=%an|%ae|%at|%cn|%ce|%ct", branch)
        assert stamp == "|".join([bs.AUTHOR_NAME, bs.AUTHOR_EMAIL, str(bs.BASE_DATE + 60 * n)] * 2), branch
    odd = {"GIT_AUTHOR_NAME": "someone", "GIT_COMMITTER_EMAIL": "x@y", "GIT_COMMITTER_DATE": "1999-01-01T00:00:00"}
    again = built.run(sys.executable, "course/build_steps.py", "build", "--no-steps-dir", **odd)  # refuses a move
    assert again.stdout.count("  unchanged ") == len(STEPS + CHAIN)
    for name in STEPS:  # every step explains itself in its README, naming its branch
        assert name in git(built, "show", f"{name}:README.md")


def _hunks_only_todo(solution: str, exercise: str, where: str, python: bool) -> None:
    """Check that every difference replaces solution lines by one TODO line (and its `raise`)."""
    solution_lines, exercise_lines = solution.splitlines(), exercise.splitlines()
    for tag, a0, a1, b0, b1 in difflib.SequenceMatcher(None, solution_lines, exercise_lines, False).get_opcodes():
        if tag == "equal":
            continue
        added = exercise_lines[b0:b1]
        assert tag == "replace" and len(added) == 1 + python, f"{where}: {solution_lines[a0:a1]} -> {added}"
        task = added[0].strip().removeprefix(TODO)
        assert added[0].lstrip().startswith(TODO) and len(task) > 10, f"{where}: {added[0]!r} is not a task line"
        if python:  # the unsolved exercise stops, naming its task
            raising = f"raise {bs.TODO_ERROR}({(TODO.removeprefix('# ') + task)!r})"
            assert added[1] == added[0][: -len(added[0].lstrip())] + raising, f"{where}: {added[1:]}"
    assert TODO not in solution and not re.search("# </?solution>", solution), where


def _imports(code: str) -> set[str]:
    nodes = [n for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Import | ast.ImportFrom)]
    return {alias.asname or alias.name.split(".")[0] for node in nodes for alias in node.names}


def test_exercises_differ_from_solutions_only_in_marked_regions(built: Repo):
    planned = {step.name: step for step in bs.plan(bs.Source(bs.Git(built.root), "HEAD"))}
    for name in STEPS:
        changed = git(built, "diff", "--name-only", name, name + SOLUTION).splitlines()
        step = planned[name]  # the files with exercise regions: there the two differ
        assert set(changed) == {path for path, blob in step.exercise.items() if blob != step.solution[path]}, name
        for path in changed:
            solution, exercise = (git(built, "show", f"{branch}:{path}") for branch in (name + SOLUTION, name))
            where = f"{name}:{path}"
            if path.endswith(".ipynb"):
                cells = list(zip(*(nbformat.reads(nb, 4).cells for nb in (solution, exercise)), strict=True))
                assert all(
                    a.cell_type == b.cell_type and not a.get("outputs") and not b.get("outputs") for a, b in cells
                )
                for a, b in cells:
                    _hunks_only_todo(a.source, b.source, where, python=True)
            else:
                _hunks_only_todo(solution, exercise, where, path.endswith(".py"))
            # The task is to write code, not imports: the exercise module imports what the solution does.
            assert not path.endswith(".py") or _imports(exercise) == _imports(solution), where


def test_each_step_carries_what_it_needs_and_the_last_mains_pipeline(built: Repo):
    files = {b: set(git(built, "ls-tree", "-r", "--name-only", b).splitlines()) for b in CHAIN}
    # Steps 1-3: the prototype notebook; the package from step 3 on, the plotting module only.
    for branch in CHAIN[:3]:
        assert "iris_prototype.ipynb" in files[branch]
        assert not {f for f in files[branch] if f.startswith(("stages/", "dvc", ".dvc/"))}, branch
    package = {f for f in files[CHAIN[2]] if f.startswith("src/")}
    assert package == {"src/iris_pipeline/__init__.py", "src/iris_pipeline/plots.py"}
    # The label column is fixed by the data: no step reads a `target_column` setting.
    for branch in CHAIN:
        for path in files[branch] - {"dvc.lock"}:
            if path.endswith((".ipynb", ".py", ".yaml", ".md")):
                assert "target_column" not in git(built, "show", f"{branch}:{path}"), f"{branch}:{path}"
    # Step 4 on: main's package, file for file (the stages import every module of it).
    for branch in CHAIN[3:]:
        assert git(built, "rev-parse", f"{branch}:src") == git(built, "rev-parse", "HEAD:src"), branch
    # Step 5 on: main's DVC config (the page `dvc plots show` writes offline), once; step 6 adds a remote.
    mains_config = git(built, "show", "HEAD:.dvc/config")
    for branch in CHAIN[4:]:
        assert git(built, "show", f"{branch}:.dvc/config").count(mains_config) == 1, branch
    # The stages get one parameter, the params file: no value is passed on a command line.
    assert "-p " not in git(built, "show", f"{CHAIN[3]}:README.md").replace("-p params_file", "")
    # The last step: main's pipeline.
    for path in PIPELINE_FILES:
        assert git(built, "rev-parse", f"{LAST}:{path}") == git(built, "rev-parse", f"HEAD:{path}"), path
    # main's .gitignore and what step 4's README leaves (test_a_steps_own_files): nothing else.
    assert git(built, "show", f"{LAST}:.gitignore") == own(5, "gitignore").strip()
    # Nothing of the course's machinery; of main's course/, what `make check` and `make progress` run.
    assert not [f for f in files[LAST] if f.startswith(("lessons/", "tools/", "tests/"))]
    course = sorted(f for f in files[LAST] if f.startswith("course/"))
    assert course == ["course/check.py", "course/checklib.py", "course/expected.json", "course/progress.py"]


def own(step: int, name: str) -> str:
    """A step's own version of a file (course/step-N/...), as its solution branch has it."""
    return bs.split_markers((REPO_ROOT / f"course/step-{step}/{name}").read_text(), name, python=False)[0]


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
    header = mains("dvc.yaml").partition("\nstages:")[0]  # what dvc.yaml says of itself
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
        **{f"step-{n}/dvc.yaml.in (header)": own(n, "dvc.yaml.in").startswith(header) for n in (5, 7)},
    }
    assert all(expected.values()), "differ from main's file: " + ", ".join(
        f"course/{f}" for f, ok in expected.items() if not ok
    )
    # DVC takes every dvc.yaml in the repository for a pipeline: main has one.
    tracked = git(Repo(REPO_ROOT, dict(os.environ)), "ls-files", "dvc.yaml", "*/dvc.yaml").split()
    assert tracked == ["dvc.yaml"], f"a step's own dvc.yaml must be named dvc.yaml.in: {tracked}"


NOTEBOOK = "jupyter nbconvert --to notebook --execute --KernelManager.transport=ipc iris_prototype.ipynb "
NOTEBOOK += "--output-dir reports/runs"
SCORE = (mains("reports/metrics.json"),)  # what `cat reports/metrics.json` shows after a run: main's score
RUN_STAGES = ("\n".join(f"==> {stage}" for stage in ("data_load", "featurize", "data_split", "train", "evaluate")),)
SET = "python -m workbook.params"  # the walk's edit of a params file, by key: `old -> new` (it must change)
DATA_SPLIT = "papermill --engine reproducible stages/data_split.ipynb reports/runs/data_split.ipynb"


class Run(NamedTuple):
    """A command the step's README shows (`own`: the walk's own), texts its output shows and lacks."""

    step: int
    command: str
    shows: tuple[str, ...] = ()
    lacks: tuple[str, ...] = ()
    own: bool = False


PROTOTYPE_WRITES = "data/raw/iris.csv data/processed/test_iris.csv models/model.joblib reports/confusion_matrix.png"
# Steps 1 to 8 in order, each on its solution branch (test_step_checks runs the exercises).
WALK = [
    *(
        row
        for step in (1, 2, 3)
        for row in (
            Run(step, NOTEBOOK),
            Run(step, f"ls {PROTOTYPE_WRITES} reports/runs/iris_prototype.ipynb", own=True),
            Run(step, "cat reports/metrics.json", SCORE),
        )
    ),
    Run(4, "python run_pipeline.py", RUN_STAGES),
    Run(4, "cat reports/metrics.json", SCORE),
    # One stage with a params file of one's own (written in the folder, git-ignored).
    Run(4, "cp params.yaml my-params.yaml"),
    Run(4, f"{SET} my-params.yaml data_split.test_size=0.3", (" -> 0.3",), (": 0.3 ->",), own=True),
    Run(4, f"{DATA_SPLIT} -p params_file my-params.yaml"),
    Run(4, "cat reports/runs/data_split.ipynb", ('"params_file": "my-params.yaml"',), own=True),
    # A fresh steps folder: no run-cache yet, so what step 4 left differently (the split) runs.
    Run(5, "dvc repro", ("Running stage 'data_split'",), ("is cached",)),
    Run(5, "cat reports/metrics.json", SCORE),
    Run(5, "dvc repro", ("up to date",)),
    Run(5, "dvc dag"),
    Run(5, f"{SET} params.yaml data_split.test_size=0.3", (" -> 0.3",), (": 0.3 ->",), own=True),
    Run(5, "dvc repro", ("Running stage 'data_split'",), ("Running stage 'data_load'",)),
    Run(5, "git restore params.yaml dvc.lock"),
    Run(5, "dvc repro", ("Stage 'data_split' is cached - skipping run",), ("Running stage",)),  # the run-cache
    Run(5, "dvc repro --force", tuple(f"Running stage '{s}'" for s in ("data_load", "data_split", "evaluate"))),
    Run(5, "cat reports/metrics.json", SCORE),
    # The solution's remote is /tmp/iris-dvc-remote; the walk's own is beside the folder, in config.local.
    Run(6, "dvc remote modify --local storage url ../walk-dvc-remote", own=True),
    Run(6, "dvc repro"),
    Run(6, "dvc push"),
    Run(6, "rm data/raw/iris.csv models/model.joblib"),
    Run(6, "dvc status", ("deleted",)),
    Run(6, "dvc checkout"),
    Run(6, "rm -rf .dvc/cache"),
    Run(6, "dvc pull"),  # with no cache: it fails unless the push filled the remote
    Run(7, "dvc repro"),
    Run(7, "dvc metrics show"),
    Run(7, f"{SET} params.yaml train.estimators.logreg.param_grid.C=[0.1]", (" -> [0.1]",), (": [0.1] ->",), own=True),
    Run(7, "dvc repro"),
    Run(7, "dvc metrics diff", (f" {round(COMMITTED_F1, 5)} ",)),  # HEAD's score as the README quotes it
    Run(7, "dvc params diff"),
    Run(7, "git restore params.yaml dvc.lock reports/metrics.json"),
    Run(7, "dvc repro"),
    Run(8, "dvc repro"),
    Run(8, "dvc plots show"),
    Run(8, "ls dvc_plots/index.html", own=True),
]


def walk_run(built: Repo, step: int, command: str):
    """Run `command` in the steps folder, from step 3 on with the README's `export PYTHONPATH="$PWD/src"`."""
    root = bs.default_steps_dir(built.root)
    argv = command.split()
    argv = [sys.executable, *argv[1:]] if argv[0] == "python" else argv
    result = built.run(*argv, cwd=root, **({"PYTHONPATH": str(root / "src")} if step >= 3 else {}))
    assert "Kernel is running over TCP without encryption" not in result.stderr, f"{command}: {result.stderr}"
    return result


def switch(built: Repo, branch: str) -> None:
    """`git switch` in the steps folder; both folders clean before and after (the lesson is the learner's)."""
    root = bs.default_steps_dir(built.root)
    for moment in ("before", "after"):
        assert git(built, "status", "--porcelain", cwd=root) == "", f"steps folder {moment} {branch}"
        assert git(built, "status", "--porcelain") == built.lesson_status, f"checkout {moment}"
        if moment == "before":
            git(built, "switch", "-q", branch, cwd=root)
    assert git(built, "branch", "--show-current", cwd=root) == branch


@pytest.mark.slow
def test_walk_the_steps_beside_the_lessons(built: Repo):
    """Steps 1 to 8 in the steps folder `make steps` made, each README's commands, in order (WALK)."""
    root = bs.default_steps_dir(built.root)
    assert git(built, "branch", "--show-current", cwd=root) == STEPS[0]  # where make steps leaves it
    for number, run in enumerate(WALK):
        if number == 0 or WALK[number - 1].step != run.step:
            switch(built, CHAIN[run.step - 1])
        assert run.own or run.command in (root / "README.md").read_text(), f"the README lacks `{run.command}`"
        output = walk_run(built, run.step, run.command).stdout
        assert all(text in output for text in run.shows), f"step {run.step}: `{run.command}` shows:\n{output}"
        assert not any(text in output for text in run.lacks), f"step {run.step}: `{run.command}` shows:\n{output}"
    switch(built, STEPS[0])  # back to the start: nothing of steps 1-8 is left untracked


WORKING_TREE = SimpleNamespace(read=lambda path: (REPO_ROOT / path).read_bytes())  # what render_names reads


def rendered_readme(step: int) -> str:
    """A step's README as the builder writes it (`render: true`), from this checkout's values."""
    text = (REPO_ROOT / f"course/step-{step}/README.md").read_bytes()
    return bs.render_file(text, f"step-{step}/README.md", bs.render_names(WORKING_TREE)).decode()


@pytest.mark.parametrize("step", range(1, 9))
def test_figures_in_a_step_readme_are_the_committed_ones(step: int):
    """A score or value quoted in a step README, as built, is main's committed one (the score as
    metrics.json holds it and as DVC's tables show it, 5 decimals, or a value of params.yaml):
    a literal left in the source goes stale when the pipeline's score moves, and fails here.
    Steps 1-5 show metrics.json as `cat` prints it (indent 2), in its own block, not on one line."""
    known = {str(COMMITTED_F1), str(round(COMMITTED_F1, 5))}
    json.loads(json.dumps(yaml.safe_load(mains("params.yaml"))), parse_float=lambda f: known.add(f) or float(f))
    text = rendered_readme(step)
    lines = enumerate(text.splitlines(), 1)
    stale = [f"README.md:{n}: {figure}" for n, line in lines for figure in QUOTED.findall(line) if figure not in known]
    assert not stale, "figures that are not the committed ones:\n" + "\n".join(stale)
    if step <= 5:
        committed = mains("reports/metrics.json")
        assert committed.count("\n") > 1  # pretty-printed
        assert "cat reports/metrics.json\n" in text and f"```\n{committed}```" in text and '{"f1"' not in text


def test_readme_7_quotes_the_committed_score_as_dvc_shows_it():
    assert f"HEAD ({round(COMMITTED_F1, 5)}, 5 digits shown)" in rendered_readme(7)


def test_what_regen_check_looks_for_is_found_on_head(built: Repo):
    """The texts `make regen-check`'s changes look for (course/regen.py), found on HEAD's lesson 1
    and step READMEs: only the score is unchanged, as no change was made."""
    before = json.loads((built.root / "reports/metrics.json").read_text())
    unchanged = f"reports/metrics.json is unchanged ({before}): the change did not reach the score"
    assert regen.shows_new_score(built.root, before) == [unchanged]
    assert regen.shows_new_c(built.root, before) == []
