"""What the tests share (`from conftest import run, Repo`; fixtures by name): the repository
root, one way to run a command, isolated git and DVC settings, copies or clones of the project."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from filelock import FileLock

from iris_pipeline.config import load_params
from iris_pipeline.dataset import features_and_target, load_iris_frame, split_train_test
from iris_pipeline.features import featurize
from iris_pipeline.train import train
from workbook.params import set_params
from workbook.workspace import PROJECT_FILES, REPO_ROOT, Workspace, isolated_environ

# The committed score, as `dvc repro` wrote it. Tests compare reproduced runs with it, not
# with a literal, so a change to the pipeline's defaults needs a `dvc repro`, not edits here.
COMMITTED_F1 = json.loads((REPO_ROOT / "reports" / "metrics.json").read_text())["f1"]
# A figure quoted in a text (a score, a parameter value: three decimals or more), which the
# staleness tests of the lessons and of the step READMEs look up in what the runs give.
QUOTED = re.compile(r"(?<![\w.])\d+\.\d{3,}(?!\d)")

# The committed files a pipeline copy needs (no data, models or executed notebooks).
PIPELINE_FILES = (*PROJECT_FILES, "dvc.lock", ".gitignore", ".dvcignore", "reports/metrics.json",
                  "reports/confusion_matrix_data.csv")  # fmt: skip


def param_leaves(node, prefix: str = ""):
    """(dotted key, value) of every value of a params mapping; a train grid (`param_grid`) is one value."""
    if isinstance(node, dict) and not prefix.endswith("param_grid"):
        for key, value in node.items():
            yield from param_leaves(value, f"{prefix}.{key}" if prefix else key)
    else:
        yield prefix, node


def run(
    cmd: list[str], cwd: Path, env: dict[str, str] | None = None, check: bool = True, timeout: float = 900
) -> subprocess.CompletedProcess:
    """Run a command, capturing text output; on failure show both streams in the assertion."""
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(map(str, cmd))} exited {result.returncode} in {cwd}\n"
            f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )
    return result


def set_param(path: Path, dotted: str, value) -> None:
    """Set one key of a params file by key, never by its old text (a missing last part is added); it must change."""
    old = set_params(path, {dotted: value}, add=True)[dotted]
    assert old != value, f"{dotted} is {value!r} already: the change would show nothing"


# The project's params and the training rows they give: what the grid search's folds must fit,
# whatever the default seed and test size are.
PROJECT_PARAMS = load_params(REPO_ROOT / "params.yaml")
TRAIN_SET, _ = split_train_test(
    featurize(load_iris_frame()), PROJECT_PARAMS.data_split.test_size, PROJECT_PARAMS.base.random_state
)


def pipeline_model():
    """The model the stage notebooks fit with the project's params: their calls in memory, without
    DVC, papermill or files."""
    params = PROJECT_PARAMS.train
    grid = {"param_grid": params.param_grid, "cv": params.cv, "random_state": PROJECT_PARAMS.base.random_state}
    return train(*features_and_target(TRAIN_SET), params.estimator_name, **grid)


# A bad params.yaml -> the error after the file's path: test_config checks each through the
# loader, test_validation one of each kind through `dvc repro`. An edit is keys to set (or DROP),
# the whole text, or None (no file).
DROP = object()
SMALLEST, TRAINING_ROWS = int(TRAIN_SET["target"].value_counts().min()), len(TRAIN_SET)


def bad(key: str, value, expected: str) -> tuple[dict, str]:
    """A case that sets `key` to `value`, refused with the key, the value (a grid's: its first) and its type."""
    shown = value[0] if isinstance(value, list) else value
    return {key: value}, f"{key} = {shown!r} ({type(shown).__name__}): {expected}"


INSIDE = "expected a path inside the project"


REFUSALS = {
    "test_size-type": bad("data_split.test_size", "0.2", "input should be a valid number"),
    "test_size-above-1": bad("data_split.test_size", 1.5, "input should be less than 1"),
    "test_size-zero": bad("data_split.test_size", 0, "input should be greater than 0"),
    "random_state-type": bad("base.random_state", "42", "input should be a valid integer"),
    "random_state-bool": bad("base.random_state", True, "input should be a valid integer"),
    "cv-too-small": bad("train.cv", 1, "input should be greater than or equal to 2"),
    "unknown-key": bad("base.seed", 1, "extra inputs are not permitted"),
    "unknown-section": bad("extra", {}, "extra inputs are not permitted"),
    "grid-not-a-list": bad("train.estimators.logreg.param_grid.C", 0.1, "input should be a valid list"),
    "log-level": bad("base.log_level", "LOUD", "input should be 'DEBUG', 'INFO', 'WARNING' or 'ERROR'"),
    "path-outside-the-project": bad("train.model_path", "../outside/model.joblib", INSIDE),
    "absolute-path": bad("data_load.dataset_csv", "/tmp/iris-outside.csv", INSIDE),
    "unknown-estimator": (
        {"train.estimator_name": "forest"},
        "train.estimator_name = 'forest': expected an estimator with a grid under train.estimators (logreg, svm, knn)",
    ),
    "estimator-without-a-grid": (
        {"train.estimators.svm": DROP, "train.estimator_name": "svm"},
        "train.estimator_name = 'svm': expected an estimator with a grid under train.estimators (logreg, knn)",
    ),
    "missing-key": ({"data_split.test_size": DROP}, "data_split.test_size is missing"),
    "missing-section": ({"evaluate": DROP}, "evaluate is missing"),
    "malformed-yaml": ("base:\n  random_state: 42\n  log_level: [INFO\n", "not valid YAML at line 4, column 1"),
    "top-level-not-a-mapping": (
        "- just\n- a list\n",
        "the top level = ['just', 'a list'] (list): input should be a valid dictionary",
    ),
    "empty-file": ("# no settings yet\n", "is empty: expected the sections base, data_load, featurize, data_split"),
    "missing-file": (None, "no such file: expected the project's params file"),
    # What only the data and scikit-learn can tell.
    "more-folds-than-the-smallest-class": bad(
        "train.cv",
        SMALLEST + 1,
        f"expected at most {SMALLEST} folds: the smallest class has {SMALLEST} of the {TRAINING_ROWS} training rows",
    ),
    "test_size-leaves-no-test-rows": bad(
        "data_split.test_size", 0.999, "expected a share that leaves rows on both sides (150 rows: 0 train, 150 test)"
    ),
    "grid-value-refused": bad(
        "train.estimators.logreg.param_grid.C", [-1.0], "expected a value LogisticRegression accepts"
    ),
    "grid-value-of-an-estimator-not-chosen": bad(
        "train.estimators.svm.param_grid.kernel",
        ["cubic"],
        "expected a value SVC accepts (The 'kernel' parameter of SVC must be a str among",
    ),
    "estimator-train-does-not-know": (
        {"train.estimators.forest": {"param_grid": {"n_estimators": [10]}}},
        "train.estimators.forest: expected one of logreg, svm, knn",
    ),
    "grid-key-the-estimator-lacks": (
        {"train.estimators.knn.param_grid.k": [3]},
        "train.estimators.knn.param_grid.k is not a parameter of "
        "KNeighborsClassifier: expected one of algorithm, leaf_size, metric",
    ),
}


def isolated_env(tmp_path: Path) -> dict[str, str]:
    """This process's environment with git and DVC configured under `tmp_path` only."""
    return isolated_environ(tmp_path / "home", tmp_path)


@dataclass
class Repo:
    """A git (and usually DVC) repository in a temporary folder, with isolated settings."""

    root: Path
    env: dict[str, str]

    def run(self, *cmd: str, check: bool = True, cwd: Path | None = None, **extra_env: str):
        return run(list(cmd), cwd or self.root, {**self.env, **extra_env}, check=check)

    def git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.run("git", *args, check=check)

    def dvc(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.run("dvc", *args, check=check)

    @classmethod
    def copy_of_project(cls, tmp_path: Path) -> Repo:
        """The project's committed pipeline files in a fresh git repo with DVC initialised, committed."""
        repo = cls(Workspace(root=tmp_path / "ws").copy_project(files=PIPELINE_FILES), isolated_env(tmp_path))
        repo.git("init", "-q", "-b", "main")
        repo.dvc("init", "-q")
        repo.git("add", "-A")
        repo.git("commit", "-qm", "project")
        return repo

    @classmethod
    def clone_of_this_repo(cls, tmp_path: Path, name: str = "clone") -> Repo:
        """A `git clone` of this repository's HEAD: only committed files take part."""
        repo = cls(tmp_path / name, isolated_env(tmp_path))
        run(["git", "clone", "-q", str(REPO_ROOT), str(repo.root)], tmp_path, repo.env)
        return repo


@pytest.fixture
def project(tmp_path: Path) -> Repo:
    """`Repo.copy_of_project`, in the test's own folder."""
    return Repo.copy_of_project(tmp_path)


@pytest.fixture(scope="session")
def reproduced_project(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Repo:
    """The project's pipeline files reproduced (`dvc repro` from nothing) and committed on `main`:
    every stage up to date. Read-only: `copy_of` it to change anything. Built once per run: the
    xdist workers share it through a lock file (pytest-xdist's "session-scoped fixtures once")."""
    shared = tmp_path_factory.getbasetemp()
    shared = shared if worker_id == "master" else shared.parent  # the folder above every worker's own
    place = shared / "reproduced-project"
    with FileLock(str(shared / "reproduced-project.lock")):
        done = place / "built"
        if not done.exists():
            repo = Repo.copy_of_project(place)
            repo.dvc("repro", "-q")
            repo.git("add", "-A")
            repo.git("commit", "-qm", "reproduced")
            assert "Data and pipelines are up to date." in repo.dvc("status").stdout
            done.touch()
    return Repo(place / "ws" / "project", isolated_env(place))


def copy_of(repo: Repo, tmp_path: Path) -> Repo:
    """A copy of `repo` (its git history, DVC cache and outputs) to change, with its own settings."""
    root = tmp_path / "copy" / "project"
    shutil.copytree(repo.root, root, symlinks=True)
    return Repo(root, isolated_env(tmp_path))


# The step branches (test_steps, test_build_steps, test_step_checks, test_regen): the steps' names,
# and a fresh clone of the course that runs the builder as a learner who just cloned it does.
STEPS = [step["name"] for step in yaml.safe_load((REPO_ROOT / "course/steps.yaml").read_text())["steps"]]
SOLUTION = "_SOLUTION"
CHAIN = [name + SOLUTION for name in STEPS]  # every step has an exercise: its solution is the chain commit


def course_clone(base: Path, name: str = "course") -> Repo:
    """A fresh clone of the course (only committed files take part), git and DVC isolated, with
    commit dates as a learner has them: the builder's own fixed dates must make the ids the same."""
    repo = Repo.clone_of_this_repo(base, name)
    repo.env = {k: v for k, v in repo.env.items() if k not in ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE", "PYTHONPATH")}
    return repo


def steps(repo: Repo, *args: str, check: bool = True):
    """The documented command, `python course/build_steps.py`, with the clone's own copy."""
    return repo.run(sys.executable, "course/build_steps.py", *args, check=check)


def git(repo: Repo, *args: str, cwd: Path | None = None) -> str:
    return repo.run("git", *args, cwd=cwd).stdout.strip()


ARTIFACTS = REPO_ROOT / "test-artifacts"  # the browser tests' screenshots
BROWSER_PATH = os.environ.get("BROWSER_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]  # fmt: skip


@contextlib.contextmanager
def chromium():
    """The system's Chromium (`$BROWSER_PATH`, Debian's by default: nothing downloaded), headless,
    resolving no host name but 127.0.0.1: a Playwright Browser, closed at the end. Without it the
    test is skipped, except in CI (`CI=true`), where that fails."""
    if not (Path(BROWSER_PATH).is_file() and os.access(BROWSER_PATH, os.X_OK)):
        message = f"no browser at {BROWSER_PATH} (set BROWSER_PATH, or apt-get install -y chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {message}")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright.chromium.launch(executable_path=BROWSER_PATH, headless=True, args=CHROMIUM_ARGS)
