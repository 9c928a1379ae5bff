"""The course's step branches (`python -m iris_pipeline.steps`, course/steps.yaml).

Everything runs in a temporary `git clone` of this repository, so only committed files
take part, as for a learner who just cloned the course. The slow tests run what each
step's README says to run, in a `git worktree` of that step's branch.
"""

from __future__ import annotations

import difflib
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from iris_pipeline.steps import SOLUTION_SUFFIX, TODO_PREFIX, Git, Source, plan
from iris_pipeline.workspace import REPO_ROOT, isolated_environ

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
WITH_EXERCISE = {1, 2, 3, 4, 8}
CHAIN = [f"{name}{SOLUTION_SUFFIX}" if n in WITH_EXERCISE else name for n, name in enumerate(STEPS, 1)]
LAST = CHAIN[-1]
DEFAULT_F1 = 0.930556
# The pipeline files the last step must take unchanged from main.
PIPELINE_FILES = [
    "params.yaml",
    "dvc.yaml",
    "dvc.lock",
    ".dvcignore",
    ".gitignore",
    ".dvc/.gitignore",
    "reports/metrics.json",
    "reports/confusion_matrix_data.csv",
    "data/raw/.gitignore",
    "data/processed/.gitignore",
    "models/.gitignore",
    "reports/.gitignore",
    "reports/runs/.gitignore",
    *(f"stages/{stage}.ipynb" for stage in ("data_load", "featurize", "data_split", "train", "evaluate")),
    *(f"src/iris_pipeline/{module}.py" for module in ("__init__", "config", "io", "papermill_engine", "plots")),
]


class Clone:
    """A fresh clone of the course with git and DVC isolated from this machine's config."""

    def __init__(self, root: Path, env: dict[str, str]):
        self.root = root
        self.env = env

    def run(self, *cmd: str, cwd: Path | None = None, check: bool = True, **env: str):
        result = subprocess.run(
            list(cmd), cwd=cwd or self.root, env={**self.env, **env}, capture_output=True, text=True
        )
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} exited {result.returncode}\n{result.stdout}\n{result.stderr}")
        return result

    def git(self, *args: str, **kwargs) -> str:
        return self.run("git", *args, **kwargs).stdout.strip()

    def steps(self, *args: str, check: bool = True):
        """The documented command, `python -m iris_pipeline.steps`, with this clone's own copy."""
        return self.run(
            sys.executable, "-m", "iris_pipeline.steps", *args, check=check, PYTHONPATH=str(self.root / "src")
        )

    def worktree(self, branch: str, path: Path) -> Path:
        self.git("worktree", "add", "--detach", "-q", str(path), branch)
        return path


def make_clone(base: Path) -> Clone:
    env = isolated_environ(base / "home", base)
    # Dates as a learner has them (the generator's own fixed dates apply).
    for name in ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE", "PYTHONPATH"):
        env.pop(name, None)
    root = base / "course"
    subprocess.run(["git", "clone", "-q", str(REPO_ROOT), str(root)], check=True, env=env)
    return Clone(root, env)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Clone:
    """A clone with every step branch built."""
    clone = make_clone(tmp_path_factory.mktemp("steps"))
    result = clone.steps("build")
    assert "created" in result.stdout
    return clone


def test_branch_names_and_chain(built: Clone):
    branches = set(built.git("branch", "--format=%(refname:short)").split())
    expected = set(STEPS) | {f"{STEPS[n - 1]}{SOLUTION_SUFFIX}" for n in WITH_EXERCISE}
    assert expected <= branches
    # One commit per step, each on the one before.
    assert not built.git("rev-list", "--parents", "-n1", CHAIN[0]).split()[1:]
    for before, after in zip(CHAIN, CHAIN[1:], strict=False):
        assert built.git("rev-parse", f"{after}^") == built.git("rev-parse", before)
        built.git("merge-base", "--is-ancestor", before, after)
    # An exercise branch is a sibling of its solution: same parent, one commit.
    for n in WITH_EXERCISE:
        name = STEPS[n - 1]
        parents = built.git("rev-list", "--parents", "-n1", name).split()[1:]
        assert parents == built.git("rev-list", "--parents", "-n1", name + SOLUTION_SUFFIX).split()[1:]
    subjects = built.git("log", "--format=%s", LAST).splitlines()
    assert [s.split(":")[0] for s in reversed(subjects)] == [f"Step {n}" for n in range(1, 9)]
    # Every step explains itself in its README, naming its branch.
    for name in STEPS:
        assert name in built.git("show", f"{name}:README.md")


def test_same_source_gives_same_commits(built: Clone, tmp_path: Path):
    other = make_clone(tmp_path)
    other.steps("build")
    for branch in CHAIN:
        assert other.git("rev-parse", branch) == built.git("rev-parse", branch)


def _hunks_only_todo(solution: list[str], exercise: list[str], where: str) -> int:
    """Check every difference replaces solution lines by one TODO line; return the count."""
    count = 0
    matcher = difflib.SequenceMatcher(a=solution, b=exercise, autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "equal":
            continue
        added = exercise[b0:b1]
        assert tag == "replace" and len(added) == 1, f"{where}: unexpected change {solution[a0:a1]} -> {added}"
        assert added[0].lstrip().startswith(TODO_PREFIX), f"{where}: {added[0]!r} is not a task line"
        assert len(added[0].strip()) > len(TODO_PREFIX) + 10, f"{where}: the task line says nothing"
        count += 1
    for line in solution:
        assert TODO_PREFIX not in line and "# <solution>" not in line and "# </solution>" not in line, where
    return count


def test_exercises_differ_from_solutions_only_in_marked_regions(built: Clone):
    git = Git(built.root)
    steps = {step.name: step for step in plan(Source(git, "HEAD"))}
    for n in WITH_EXERCISE:
        name = STEPS[n - 1]
        changed = built.git("diff", "--name-only", name, name + SOLUTION_SUFFIX).splitlines()
        assert sorted(changed) == sorted(steps[name].regions), name
        for path in changed:
            solution = built.git("show", f"{name}{SOLUTION_SUFFIX}:{path}")
            exercise = built.git("show", f"{name}:{path}")
            where = f"{name}:{path}"
            if path.endswith(".ipynb"):
                sol_nb, ex_nb = nbformat.reads(solution, 4), nbformat.reads(exercise, 4)
                assert len(sol_nb.cells) == len(ex_nb.cells)
                count = 0
                for sol_cell, ex_cell in zip(sol_nb.cells, ex_nb.cells, strict=True):
                    assert sol_cell.cell_type == ex_cell.cell_type
                    assert not sol_cell.get("outputs") and not ex_cell.get("outputs"), f"{where}: outputs"
                    count += _hunks_only_todo(sol_cell.source.splitlines(), ex_cell.source.splitlines(), where)
            else:
                count = _hunks_only_todo(solution.splitlines(), exercise.splitlines(), where)
            assert count == steps[name].regions[path], where


def test_last_step_holds_mains_pipeline(built: Clone):
    for path in PIPELINE_FILES:
        assert built.git("rev-parse", f"{LAST}:{path}") == built.git("rev-parse", f"HEAD:{path}"), path
    files = built.git("ls-tree", "-r", "--name-only", LAST).splitlines()
    # The package holds what the pipeline imports, each module as on main.
    for path in (f for f in files if f.startswith("src/")):
        assert built.git("rev-parse", f"{LAST}:{path}") == built.git("rev-parse", f"HEAD:{path}"), path
    assert not [f for f in files if f.startswith("course/") or f.startswith("lessons/")]
    assert "src/iris_pipeline/steps.py" not in files


def test_refuses_existing_branches_dirty_tree_and_checked_out_branch(tmp_path: Path):
    clone = make_clone(tmp_path)
    head = clone.git("rev-parse", "HEAD")
    clone.steps("build")
    again = clone.steps("build", check=False)
    assert again.returncode == 1 and "exist already" in again.stderr and "--force" in again.stderr

    (clone.root / "params.yaml").write_text((clone.root / "params.yaml").read_text() + "# edited\n")
    dirty = clone.steps("build", check=False)
    assert dirty.returncode == 1 and "uncommitted changes" in dirty.stderr and " M params.yaml" in dirty.stderr
    # The learner's edit, branch and HEAD are untouched by either refusal.
    assert clone.git("status", "--porcelain") == "M params.yaml"
    assert clone.git("symbolic-ref", "--short", "HEAD") == "main"
    assert clone.git("rev-parse", "HEAD") == head
    clone.git("checkout", "--", "params.yaml")

    before = {b: clone.git("rev-parse", b) for b in CHAIN}
    same = clone.steps("build", "--force")
    assert "created" not in same.stdout and "updated" not in same.stdout
    assert {b: clone.git("rev-parse", b) for b in CHAIN} == before

    # After a change of the source (as after a pull), a rebuild moves the branches from that step on.
    readme = clone.root / "course/step-6/README.md"
    readme.write_text(readme.read_text() + "\nOne more line.\n")
    clone.git("commit", "-qam", "Edit step 6")
    worktree = tmp_path / "wt-step-7"
    clone.git("worktree", "add", "-q", str(worktree), STEPS[6])  # the learner works on step 7
    busy = clone.steps("rebuild", check=False)
    assert busy.returncode == 1 and "is checked out" in busy.stderr
    assert {b: clone.git("rev-parse", b) for b in CHAIN} == before  # all or nothing
    clone.git("worktree", "remove", str(worktree))
    updated = clone.steps("rebuild")
    assert f"updated   {STEPS[5]}" in updated.stdout and f"unchanged {CHAIN[4]}" in updated.stdout
    assert "One more line." in clone.git("show", f"{STEPS[5]}:README.md")
    assert clone.git("rev-parse", CHAIN[4]) == before[CHAIN[4]]
    assert clone.git("status", "--porcelain") == ""
    wrong = clone.steps("rebuild", "--from", STEPS[0], check=False)
    assert wrong.returncode == 1 and "course/steps.yaml is not in commit" in wrong.stderr
    listing = clone.steps("list").stdout.splitlines()
    assert len(listing) == 13 and all(line.startswith("current ") for line in listing)


def _metrics(root: Path) -> dict:
    return json.loads((root / "reports/metrics.json").read_text())


def _readme_command(root: Path, command: str) -> list[str]:
    """A command the branch's README tells the learner to run (checked to be there), as argv."""
    assert command in (root / "README.md").read_text(), f"the README does not show `{command}`"
    return command.split()


NOTEBOOK_COMMAND = "jupyter nbconvert --to notebook --execute iris_prototype.ipynb --output-dir reports/runs"


@pytest.mark.slow
@pytest.mark.parametrize("step", [1, 2, 3])
def test_notebook_steps_run(built: Clone, tmp_path: Path, step: int):
    root = built.worktree(CHAIN[step - 1], tmp_path / f"wt-{step}")
    # PYTHONPATH: the branch's own package (step 3), as the editable install gives a learner.
    built.run(*_readme_command(root, NOTEBOOK_COMMAND), cwd=root, PYTHONPATH=str(root / "src"))
    assert _metrics(root) == {"f1": DEFAULT_F1}
    for path in (
        "data/raw/iris.csv",
        "data/processed/test_iris.csv",
        "models/model.joblib",
        "reports/confusion_matrix.png",
        "reports/runs/iris_prototype.ipynb",
    ):
        assert (root / path).is_file(), path
    assert built.git("status", "--porcelain", cwd=root) == ""  # outputs are git-ignored


@pytest.mark.slow
def test_step_4_runs_its_stages(built: Clone, tmp_path: Path):
    root = built.worktree(CHAIN[3], tmp_path / "wt-4")
    argv = _readme_command(root, "python run_pipeline.py")
    result = built.run(sys.executable, *argv[1:], cwd=root, PYTHONPATH=str(root / "src"))
    assert result.stdout.count("==> ") == 5
    assert _metrics(root) == {"f1": DEFAULT_F1}
    assert (root / "reports/runs/evaluate.ipynb").is_file()
    assert built.git("status", "--porcelain", cwd=root) == ""


@pytest.mark.slow
def test_step_5_dvc_repro(built: Clone, tmp_path: Path):
    root = built.worktree(CHAIN[4], tmp_path / "wt-5")
    built.run(*_readme_command(root, "dvc repro"), cwd=root, PYTHONPATH=str(root / "src"))
    assert _metrics(root) == {"f1": DEFAULT_F1}
    # Every output is DVC's and git-ignored, and the run reproduces the committed dvc.lock.
    assert built.git("status", "--porcelain", cwd=root) == ""
    status = built.run("dvc", "status", cwd=root, PYTHONPATH=str(root / "src")).stdout
    assert "up to date" in status


@pytest.mark.slow
def test_step_8_dvc_repro_gives_mains_results_and_push_pull(built: Clone, tmp_path: Path):
    root = built.worktree(LAST, tmp_path / "wt-8")
    env = {"PYTHONPATH": str(root / "src")}
    built.run(*_readme_command(root, "dvc repro"), cwd=root, **env)
    assert _metrics(root) == {"f1": DEFAULT_F1}
    # The committed metrics, plot data and dvc.lock (main's) are what the run wrote.
    assert built.git("status", "--porcelain", cwd=root) == ""
    shown = built.run("dvc", "metrics", "show", "--json", cwd=root, **env).stdout
    assert str(DEFAULT_F1) in shown
    # Step 6's remote: a folder beside the project.
    built.run("dvc", "push", cwd=root, **env)
    assert (tmp_path / "iris-dvc-remote").is_dir()
    (root / "models/model.joblib").unlink()
    built.run("rm", "-rf", ".dvc/cache", cwd=root)
    built.run("dvc", "pull", cwd=root, **env)
    assert (root / "models/model.joblib").is_file()


# ---------------------------------------------------------------- the generator's parts


def test_markers_give_solution_and_exercise():
    from iris_pipeline.steps import split_markers

    text = "a = 1\n    # <solution> set b to twice a\n    b = 2 * a\n    # </solution>\nprint(b)\n"
    solution, exercise, count = split_markers(text, "x.py")
    assert solution == "a = 1\n    b = 2 * a\nprint(b)\n"
    assert exercise == "a = 1\n    # TODO (exercise): set b to twice a\nprint(b)\n"
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
    from iris_pipeline.steps import StepsError, split_markers

    with pytest.raises(StepsError, match=message):
        split_markers(text, "x.py")


def test_yaml_transforms():
    import yaml

    from iris_pipeline.steps import StepsError, append_yaml_items, drop_yaml_keys, yaml_key_region

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
    import ast

    from iris_pipeline.steps import drop_toml_tables, python_def_region

    toml = (
        '[project]\nname = "x"\n\n[tool.pytest.ini_options]\naddopts = "-q"\n'
        'markers = [\n  "slow",\n]\n\n[tool.ruff]\nline-length = 1\n'
    )
    assert drop_toml_tables(toml, ["tool.pytest.ini_options"], "p.toml") == (
        '[project]\nname = "x"\n\n[tool.ruff]\nline-length = 1\n'
    )
    code = 'def f(x):\n    """Twice x."""\n    y = 2 * x\n    return y\n\n\ndef g():\n    return 1\n'
    exercise = python_def_region(code, "f", "return twice x", "m.py")
    assert exercise.startswith('def f(x):\n    """Twice x."""\n    # TODO (exercise): return twice x\n\n\ndef g')
    ast.parse(exercise)


def test_outside_a_repository_or_without_the_course(tmp_path: Path):
    result = subprocess.run(
        [sys.executable, "-m", "iris_pipeline.steps", "build", "-C", str(tmp_path)],
        capture_output=True,
        text=True,
        env={**os.environ, "GIT_CEILING_DIRECTORIES": str(tmp_path.parent)},
    )
    assert result.returncode == 1 and "not inside a git repository" in result.stderr
