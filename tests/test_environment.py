"""The environment: every package pinned, conda, pip, the devcontainer and Binder describing
the same thing, `make setup` reinstalling only on a change of content, and clones on any
system seeing the pipeline as committed."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import time
import tomllib
from functools import partial
from importlib.metadata import version
from pathlib import Path

import yaml

from conftest import REPO_ROOT, run

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)$")
REQUIREMENTS = [line for line in (REPO_ROOT / "requirements.txt").read_text().splitlines() if line and line[0] != "#"]
MAKEFILE = (REPO_ROOT / "Makefile").read_text()


def test_every_requirement_is_pinned_at_the_version_installed():
    """The pins of dvc, pandas, papermill and scikit-learn against what is installed: lesson 2's check."""
    assert not (loose := [line for line in REQUIREMENTS if not PIN.match(line)]), f"not pinned with ==: {loose}"
    pins = {name.lower().replace("_", "-"): pin for name, pin in (PIN.match(line).groups() for line in REQUIREMENTS)}
    for package in ("dvclive", "nbval", "jupyterlab", "ipykernel", "matplotlib", "jsonschema"):
        assert pins.get(package) == version(package), f"{package} {pins.get(package)}: installed {version(package)}"
    assert pins["dvc"].startswith("3.") and pins["jupyterlab"].startswith("4.")
    assert "rfc3987-syntax" not in pins  # see the note at the top of requirements.txt


def test_environment_yml_describes_the_same_environment():
    deps = yaml.safe_load((REPO_ROOT / "environment.yml").read_text())["dependencies"]
    assert [d for d in deps if isinstance(d, str) and d.startswith("python")] == ["python>=3.11,<3.14"]
    pip_sections = [d["pip"] for d in deps if isinstance(d, dict) and "pip" in d]
    assert pip_sections == [["-r requirements.txt"]], "conda must install exactly requirements.txt"
    conda = {re.split(r"[=<>]", d)[0] for d in deps if isinstance(d, str)}  # none shadows a pinned pip package
    assert conda <= {"python", "pip", "git", "make"} and not conda & {PIN.match(r)[1].lower() for r in REQUIREMENTS}


def test_pyprojects_match_python_and_the_engine_is_registered_and_installed_apart_from_the_pipeline():
    projects = {
        name: tomllib.loads((REPO_ROOT / name).read_text())["project"]
        for name in ("pyproject.toml", "tools/pyproject.toml", "tools/papermill-reproducible/pyproject.toml")
    }
    assert {project["requires-python"] for project in projects.values()} == {">=3.11,<3.14"}
    assert "(3, 11) <= sys.version_info[:2] <= (3, 13)" in MAKEFILE
    assert "entry-points" not in projects["pyproject.toml"]  # the learner's package is the pipeline alone
    engine = projects["tools/papermill-reproducible/pyproject.toml"]
    assert engine["entry-points"]["papermill.engine"] == {"reproducible": "papermill_reproducible:ReproducibleEngine"}
    # The engine is installed as a copy: editable, it would vanish on a step branch, which has no tools/.
    assert Path(importlib.util.find_spec("papermill_reproducible").origin).parent.name == "site-packages"


def setup_is_current(folder: Path, makefile: str) -> bool:
    """With the setup's inputs under `folder` and the stamp `make -n setup` names made, does `make -q setup`
    find nothing to do after a `touch` of the files git rewrites when it switches branches?"""
    engine = ("tools/papermill-reproducible/pyproject.toml", "tools/papermill-reproducible/papermill_reproducible.py")
    for name in ("requirements.txt", "pyproject.toml", "tools/pyproject.toml", *engine):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO_ROOT / name, folder / name)
    (folder / "Makefile").write_text(makefile)
    stamps = set(re.findall(r"\.venv/\.installed-[0-9]+", run(["make", "-n", "setup"], folder).stdout))
    assert len(stamps) == 1, stamps
    (folder / ".venv").mkdir(exist_ok=True)
    (folder / stamps.pop()).touch()
    current = partial(run, ["make", "-q", "setup"], folder, check=False)
    assert current().returncode == 0, "fresh stamp, yet out of date"
    for name in ("requirements.txt", "pyproject.toml"):
        os.utime(folder / name, (time.time() + 60,) * 2)
    return current().returncode == 0


def test_a_branch_round_trip_reinstalls_nothing(tmp_path: Path):
    assert setup_is_current(tmp_path / "by-content", MAKEFILE)
    # The check can fail: the same Makefile with its stamp keyed on the files' timestamps.
    assert MAKEFILE.count("\n$(STAMP):\n") == 1
    by_time = MAKEFILE.replace("\n$(STAMP):\n", "\n$(STAMP): $(SETUP_INPUTS)\n")
    assert not setup_is_current(tmp_path / "by-time", by_time)


def test_setup_refuses_an_unsupported_python_in_one_line_before_installing_anything(tmp_path):
    """With only a Python 3.10 on PATH (or named with PYTHON=): it answers `--version` and fails the version test."""
    bin_dir, project = tmp_path / "bin", tmp_path / "project"
    bin_dir.mkdir()
    project.mkdir()
    for tool in ("make", "sh", "cat", "cksum", "cut", "test"):
        if found := shutil.which(tool):
            (bin_dir / tool).symlink_to(found)
    python310 = bin_dir / "python3.10"
    python310.write_text('#!/bin/sh\n[ "$1" = --version ] && echo "Python 3.10.13" && exit 0\nexit 1\n')
    python310.chmod(0o755)
    (bin_dir / "python3").symlink_to(python310)
    shutil.copy(REPO_ROOT / "Makefile", project / "Makefile")
    for args in ([], [f"PYTHON={python310}"]):
        done = run(["make", "setup", *args], project, {"PATH": str(bin_dir), "HOME": str(tmp_path)}, check=False)
        assert done.returncode != 0
        first = done.stderr.splitlines()[0]
        assert first.startswith("error: the course runs on Python 3.11, 3.12 or 3.13;"), done.stderr
        assert "make setup PYTHON=" in first and (not args or "is Python 3.10.13" in first), first
        assert sorted(p.name for p in project.iterdir()) == ["Makefile"], "something was installed"


def test_a_clone_with_autocrlf_sees_every_stage_as_committed(tmp_path):
    """Git for Windows' default (core.autocrlf=true) must not change the bytes DVC hashes:
    .gitattributes keeps LF, so no stage's dependencies or params look changed."""
    clone = tmp_path / "clone"
    run(["git", "clone", "-q", "-c", "core.autocrlf=true", str(REPO_ROOT), str(clone)], tmp_path)
    for name in ("params.yaml", "dvc.yaml", "stages/train.ipynb", "src/iris_pipeline/config.py", "tools/lab.sh"):
        assert b"\r\n" not in (clone / name).read_bytes(), f"{name} has CRLF line endings in the clone"
    status = run(["dvc", "status", "--json"], clone).stdout  # outputs are not in git: "deleted", nothing else
    assert set(re.findall(r'": "([a-z ]+)"', status)) <= {"deleted", "not in cache"}, f"stages out of date: {status}"


def test_a_venv_link_and_what_the_step_branches_leave_behind_are_ignored():
    """The steps folder (and tools such as uv or pyenv) may make .venv a link; a learner who
    runs step 1's README command here (tests/test_steps.py runs it), then `git switch main`, keeps
    the prototype's run."""
    paths = [".venv", "reports/runs/iris_prototype.ipynb"]
    rules = run(["git", "check-ignore", "--no-index", "-v", *paths], REPO_ROOT).stdout.splitlines()
    assert [rule.split("\t")[1] for rule in rules] == paths
    assert not rules[0].split("\t")[0].endswith("/"), f"the rule covers folders only: {rules[0]}"


def test_the_devcontainer_and_binder_set_up_what_make_setup_does():
    """Codespaces and Binder open the lessons with the course's kernel (checked here without Docker)."""
    container = json.loads((REPO_ROOT / ".devcontainer" / "devcontainer.json").read_text())
    assert re.search(r"python:\d+-3\.1[123]-", container["image"]), container["image"]
    assert container["postCreateCommand"] == "make setup" and 8888 in container["forwardPorts"]
    extensions = {"ms-python.python", "ms-toolsai.jupyter", "Iterative.dvc"}
    assert extensions <= set(container["customizations"]["vscode"]["extensions"])
    binder = REPO_ROOT / "binder"
    assert re.fullmatch(r"python-3\.1[123]\n", (binder / "runtime.txt").read_text())
    assert "-r ../requirements.txt" in (binder / "requirements.txt").read_text().splitlines()
    assert os.access(binder / "postBuild", os.X_OK)
    assert "make jupyter-setup ENV_PYTHON=python" in (binder / "postBuild").read_text()
    assert "$(MAKE) --no-print-directory jupyter-setup ENV_PYTHON=$(BIN)/python" in MAKEFILE
