"""The course's step branches (`python course/build_steps.py`, course/steps.yaml).

Everything runs in a temporary `git clone` of this repository (conftest's
`Repo.clone_of_this_repo`), so only committed files take part, as for a learner who just
cloned the course. The slow tests run what each step's README says to run, in a
`git worktree` of that step's branch.
"""

from __future__ import annotations

import ast
import difflib
import json
import os
import sys
from pathlib import Path

import nbformat
import pytest

from build_steps import (
    AUTHOR_EMAIL,
    AUTHOR_NAME,
    BASE_DATE,
    SOLUTION_SUFFIX,
    TODO_PREFIX,
    Git,
    Source,
    StepsError,
    append_yaml_items,
    drop_toml_tables,
    drop_yaml_keys,
    package_modules,
    plan,
    python_def_region,
    split_markers,
    yaml_key_region,
)
from conftest import REPO_ROOT, Repo, run

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
PACKAGE = ("__init__", "config", "dataset", "features", "train", "evaluate", "plots", "io", "logs")
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


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Repo:
    """A clone with every step branch built."""
    clone = course_clone(tmp_path_factory.mktemp("steps"))
    result = steps(clone, "build")
    assert "created" in result.stdout
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
                    count += _hunks_only_todo(sol_cell.source.splitlines(), ex_cell.source.splitlines(), where)
            else:
                count = _hunks_only_todo(solution.splitlines(), exercise.splitlines(), where)
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
    files = git(built, "ls-tree", "-r", "--name-only", LAST).splitlines()
    # The package is main's, each module as on main, and nothing of the course's machinery.
    assert sorted(f for f in files if f.startswith("src/")) == sorted(f"src/iris_pipeline/{m}.py" for m in PACKAGE)
    assert not [f for f in files if f.startswith(("course/", "lessons/", "tools/", "tests/"))]


def test_refuses_existing_branches_dirty_tree_and_checked_out_branch(tmp_path: Path):
    clone = course_clone(tmp_path)
    head = git(clone, "rev-parse", "HEAD")
    branch = git(clone, "symbolic-ref", "--short", "HEAD")  # whatever the course's branch is called
    steps(clone, "build")
    again = steps(clone, "build", check=False)
    assert again.returncode == 1 and "exist already" in again.stderr and "--force" in again.stderr

    (clone.root / "params.yaml").write_text((clone.root / "params.yaml").read_text() + "# edited\n")
    dirty = steps(clone, "build", check=False)
    assert dirty.returncode == 1 and "uncommitted changes" in dirty.stderr and " M params.yaml" in dirty.stderr
    # The learner's edit, branch and HEAD are untouched by either refusal.
    assert git(clone, "status", "--porcelain") == "M params.yaml"
    assert git(clone, "symbolic-ref", "--short", "HEAD") == branch
    assert git(clone, "rev-parse", "HEAD") == head
    git(clone, "checkout", "--", "params.yaml")

    before = {b: git(clone, "rev-parse", b) for b in CHAIN}
    same = steps(clone, "build", "--force")
    assert "created" not in same.stdout and "updated" not in same.stdout
    assert {b: git(clone, "rev-parse", b) for b in CHAIN} == before

    # After a change of the source (as after a pull), a rebuild moves the branches from that step on.
    readme = clone.root / "course/step-6/README.md"
    readme.write_text(readme.read_text() + "\nOne more line.\n")
    git(clone, "commit", "-qam", "Edit step 6")
    busy_tree = tmp_path / "wt-step-7"
    git(clone, "worktree", "add", "-q", str(busy_tree), STEPS[6])  # the learner works on step 7
    busy = steps(clone, "rebuild", check=False)
    assert busy.returncode == 1 and "is checked out" in busy.stderr
    assert {b: git(clone, "rev-parse", b) for b in CHAIN} == before  # all or nothing
    git(clone, "worktree", "remove", str(busy_tree))
    updated = steps(clone, "rebuild")
    assert f"updated   {STEPS[5]}" in updated.stdout and f"unchanged {CHAIN[4]}" in updated.stdout
    assert "One more line." in git(clone, "show", f"{STEPS[5]}:README.md")
    assert git(clone, "rev-parse", CHAIN[4]) == before[CHAIN[4]]
    assert git(clone, "status", "--porcelain") == ""
    wrong = steps(clone, "rebuild", "--from", STEPS[0], check=False)
    assert wrong.returncode == 1 and "course/steps.yaml is not in commit" in wrong.stderr
    listing = steps(clone, "list").stdout.splitlines()
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
def test_notebook_steps_run(built: Repo, tmp_path: Path, step: int):
    root = worktree(built, CHAIN[step - 1], tmp_path / f"wt-{step}")
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
    assert git(built, "status", "--porcelain", cwd=root) == ""  # outputs are git-ignored


@pytest.mark.slow
def test_step_4_runs_its_stages(built: Repo, tmp_path: Path):
    root = worktree(built, CHAIN[3], tmp_path / "wt-4")
    argv = _readme_command(root, "python run_pipeline.py")
    result = built.run(sys.executable, *argv[1:], cwd=root, PYTHONPATH=str(root / "src"))
    assert result.stdout.count("==> ") == 5
    assert _metrics(root) == {"f1": DEFAULT_F1}
    # Each stage got its one parameter, the params file, and read every value from it.
    executed = nbformat.read(root / "reports/runs/evaluate.ipynb", 4)
    assert executed.metadata.papermill.parameters == {"params_file": "params.yaml"}
    assert git(built, "status", "--porcelain", cwd=root) == ""


@pytest.mark.slow
def test_step_5_dvc_repro(built: Repo, tmp_path: Path):
    root = worktree(built, CHAIN[4], tmp_path / "wt-5")
    built.run(*_readme_command(root, "dvc repro"), cwd=root, PYTHONPATH=str(root / "src"))
    assert _metrics(root) == {"f1": DEFAULT_F1}
    # Every output is DVC's and git-ignored, and the run reproduces the committed dvc.lock.
    assert git(built, "status", "--porcelain", cwd=root) == ""
    status = built.run("dvc", "status", cwd=root, PYTHONPATH=str(root / "src")).stdout
    assert "up to date" in status


@pytest.mark.slow
def test_step_8_dvc_repro_gives_mains_results_and_push_pull(built: Repo, tmp_path: Path):
    root = worktree(built, LAST, tmp_path / "wt-8")
    env = {"PYTHONPATH": str(root / "src")}
    built.run(*_readme_command(root, "dvc repro"), cwd=root, **env)
    assert _metrics(root) == {"f1": DEFAULT_F1}
    # The committed metrics, plot data and dvc.lock (main's) are what the run wrote.
    assert git(built, "status", "--porcelain", cwd=root) == ""
    shown = built.run("dvc", "metrics", "show", "--json", cwd=root, **env).stdout
    assert str(DEFAULT_F1) in shown
    # Step 6's remote: a folder beside the project.
    built.run("dvc", "push", cwd=root, **env)
    assert (tmp_path / "iris-dvc-remote").is_dir()
    (root / "models/model.joblib").unlink()
    built.run("rm", "-rf", ".dvc/cache", cwd=root)
    built.run("dvc", "pull", cwd=root, **env)
    assert (root / "models/model.joblib").is_file()


# ---------------------------------------------------------------- the builder's parts


def test_markers_give_solution_and_exercise():
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
    assert exercise.startswith('def f(x):\n    """Twice x."""\n    # TODO (exercise): return twice x\n\n\ndef g')
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
