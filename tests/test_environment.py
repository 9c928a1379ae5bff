"""The environment files: every package pinned, conda and pip describing the same thing."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml

from conftest import REPO_ROOT

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)$")


def requirement_lines() -> list[str]:
    lines = (REPO_ROOT / "requirements.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_every_requirement_is_pinned_to_an_exact_version():
    lines = requirement_lines()
    assert lines, "requirements.txt lists no packages"
    loose = [line for line in lines if not PIN.match(line)]
    assert loose == [], f"not pinned with ==: {loose}"


def test_the_course_tools_are_pinned_at_the_versions_installed():
    pins = dict(PIN.match(line).groups() for line in requirement_lines())
    normalized = {name.lower().replace("_", "-"): v for name, v in pins.items()}
    for package in (
        "dvc",
        "dvclive",
        "scikit-learn",
        "pandas",
        "papermill",
        "nbval",
        "jupyterlab",
        "ipykernel",
        "matplotlib",
        "jsonschema",
    ):
        assert package in normalized, f"{package} missing from requirements.txt"
        assert normalized[package] == version(package), f"{package}: installed {version(package)}"
    assert normalized["dvc"].startswith("3.")
    assert normalized["jupyterlab"].startswith("4.")
    assert "rfc3987-syntax" not in normalized  # see the note at the top of requirements.txt


def test_environment_yml_describes_the_same_environment():
    env = yaml.safe_load((REPO_ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    pythons = [d for d in deps if isinstance(d, str) and d.startswith("python")]
    assert pythons == ["python>=3.11,<3.14"]
    pip_sections = [d["pip"] for d in deps if isinstance(d, dict) and "pip" in d]
    assert pip_sections == [["-r requirements.txt"]], "conda must install exactly requirements.txt"
    # No conda package may shadow a pinned pip package with another version.
    conda_names = {re.split(r"[=<>]", d)[0] for d in deps if isinstance(d, str)}
    pinned = {PIN.match(line).group(1).lower() for line in requirement_lines()}
    assert conda_names - {"python", "pip", "git", "make"} == set()
    assert not (conda_names & pinned)


def test_pyprojects_match_python_and_the_engine_is_registered_apart_from_the_pipeline():
    pipeline = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    for pyproject in ("pyproject.toml", "tools/pyproject.toml", "tools/papermill-reproducible/pyproject.toml"):
        declared = tomllib.loads((REPO_ROOT / pyproject).read_text())["project"]["requires-python"]
        assert declared == ">=3.11,<3.14", f"{pyproject}: requires-python {declared}"
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert "(3, 11) <= sys.version_info[:2] <= (3, 13)" in makefile
    assert "SUPPORTED_PYTHONS := 3.11, 3.12 or 3.13" in makefile
    assert "entry-points" not in pipeline  # the learner's package is the pipeline alone
    engine = tomllib.loads((REPO_ROOT / "tools/papermill-reproducible/pyproject.toml").read_text())["project"]
    assert engine["entry-points"]["papermill.engine"] == {"reproducible": "papermill_reproducible:ReproducibleEngine"}


def test_the_engine_is_installed_as_a_copy_so_every_step_branch_finds_it():
    # Editable, it would vanish on a step branch, which does not carry tools/.
    import papermill  # noqa: F401  (papermill imports its engines first)
    import papermill_reproducible

    assert Path(papermill_reproducible.__file__).parent.name == "site-packages"


def _setup_is_current(folder: Path, makefile: str) -> bool:
    """In a copy of the setup's inputs under `folder`: does `make -q setup` find nothing to do?

    The environment is stood in for by the stamp file the Makefile names (read from `make -n`),
    made as `make setup` would; the round trip through the step branches is a `touch` of the
    files git rewrites when it switches.
    """
    inputs = [
        "requirements.txt",
        "pyproject.toml",
        "tools/pyproject.toml",
        "tools/papermill-reproducible/pyproject.toml",
        "tools/papermill-reproducible/papermill_reproducible.py",
    ]
    for name in inputs:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO_ROOT / name, folder / name)
    (folder / "Makefile").write_text(makefile)
    dry = subprocess.run(["make", "-n", "setup"], cwd=folder, capture_output=True, text=True, check=True).stdout
    stamps = set(re.findall(r"\.venv/\.installed-[0-9]+", dry))
    assert len(stamps) == 1, dry
    (folder / ".venv").mkdir(exist_ok=True)
    (folder / stamps.pop()).touch()
    assert subprocess.run(["make", "-q", "setup"], cwd=folder).returncode == 0, "fresh stamp, yet out of date"
    later = time.time() + 60
    for name in ("requirements.txt", "pyproject.toml"):  # git switch rewrote them: newer timestamps
        os.utime(folder / name, (later, later))
    return subprocess.run(["make", "-q", "setup"], cwd=folder).returncode == 0


def test_a_branch_round_trip_reinstalls_nothing(tmp_path: Path):
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert _setup_is_current(tmp_path / "by-content", makefile)
    # The check can fail: the same Makefile with its stamp keyed on the files' timestamps.
    assert makefile.count("\n$(STAMP):\n") == 1
    by_time = makefile.replace("\n$(STAMP):\n", "\n$(STAMP): $(SETUP_INPUTS)\n")
    assert not _setup_is_current(tmp_path / "by-time", by_time)


def test_setup_refuses_an_unsupported_python_in_one_line_before_installing_anything(tmp_path):
    """With only Python 3.10 on PATH (or one named with PYTHON=), `make setup` names the
    Pythons that work and how to choose one, and creates nothing."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))  # a shim is no Python: the binary
    python310 = next((str(p) for p in sorted(pyenv.glob("versions/3.10*/bin/python3.10"))), None)
    if python310 is None:
        pytest.skip("no Python 3.10 on this machine")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("make", "sh", "cat", "cksum", "cut", "test"):
        if found := shutil.which(tool):
            (bin_dir / tool).symlink_to(found)
    for name in ("python3", "python3.10"):
        (bin_dir / name).symlink_to(python310)
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(REPO_ROOT / "Makefile", project / "Makefile")
    for args in ([], [f"PYTHON={python310}"]):
        done = subprocess.run(
            ["make", "setup", *args], cwd=project, env={"PATH": str(bin_dir), "HOME": str(tmp_path)},
            capture_output=True, text=True,
        )
        assert done.returncode != 0
        first = done.stderr.splitlines()[0]
        assert first.startswith("error: the course runs on Python 3.11, 3.12 or 3.13;"), done.stderr
        assert "make setup PYTHON=" in first
        assert sorted(p.name for p in project.iterdir()) == ["Makefile"], "something was installed"


def test_a_clone_with_autocrlf_sees_every_stage_as_committed(tmp_path):
    """Git for Windows' default (core.autocrlf=true) must not change the bytes DVC hashes:
    .gitattributes keeps LF, so no stage's dependencies or params look changed."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "-c", "core.autocrlf=true", str(REPO_ROOT), str(clone)], check=True)
    for name in ("params.yaml", "dvc.yaml", "stages/train.ipynb", "src/iris_pipeline/config.py", "tools/lab.sh"):
        assert b"\r\n" not in (clone / name).read_bytes(), f"{name} has CRLF line endings in the clone"
    done = subprocess.run(["dvc", "status", "--json"], cwd=clone, capture_output=True, text=True, check=True)
    # A fresh clone has no outputs yet (not in git): those are "deleted" or "not in cache".
    changed = [
        f"{stage}: {kind} {path} {state}"
        for stage, entries in json.loads(done.stdout).items()
        for entry in entries
        if isinstance(entry, dict)
        for kind, paths in entry.items()
        for path, state in paths.items()
        if state not in ("deleted", "not in cache")
    ]
    assert not changed, f"stages out of date in a clone made with core.autocrlf=true: {changed}"


def test_a_venv_link_is_ignored_like_a_venv_folder(tmp_path):
    """The steps folder (and tools such as uv or pyenv) may make .venv a link."""
    done = subprocess.run(["git", "check-ignore", "--no-index", "-q", ".venv"], cwd=REPO_ROOT)
    assert done.returncode == 0
    rule = subprocess.run(
        ["git", "check-ignore", "--no-index", "-v", ".venv"], cwd=REPO_ROOT, capture_output=True, text=True
    ).stdout
    assert not rule.split("\t")[0].endswith("/"), f"the rule covers folders only: {rule}"


def test_the_devcontainer_and_binder_set_up_what_make_setup_does():
    """Codespaces and Binder open the lessons with the course's kernel: both run the
    Makefile's own set-up (tested here without Docker; repo2docker's dry run is in the note)."""
    container = json.loads((REPO_ROOT / ".devcontainer" / "devcontainer.json").read_text())
    version = re.search(r"python:\d+-(3\.\d+)-", container["image"]).group(1)
    assert version in ("3.11", "3.12", "3.13"), container["image"]
    assert container["postCreateCommand"] == "make setup"
    assert 8888 in container["forwardPorts"]
    assert {"ms-python.python", "ms-toolsai.jupyter", "Iterative.dvc"} <= set(
        container["customizations"]["vscode"]["extensions"]
    )
    binder = REPO_ROOT / "binder"
    assert re.fullmatch(r"python-3\.1[123]\n", (binder / "runtime.txt").read_text())
    assert "-r ../requirements.txt" in (binder / "requirements.txt").read_text().splitlines()
    post_build = (binder / "postBuild").read_text()
    assert os.access(binder / "postBuild", os.X_OK)
    assert "make jupyter-setup ENV_PYTHON=python" in post_build
    assert "$(MAKE) --no-print-directory jupyter-setup ENV_PYTHON=$(BIN)/python" in (REPO_ROOT / "Makefile").read_text()


def test_what_the_step_branches_leave_behind_is_ignored_on_main():
    """A learner who runs step 1's README command in this checkout, then `git switch main`,
    keeps reports/runs/iris_prototype.ipynb (untracked on main): main ignores it."""
    readme = (REPO_ROOT / "course" / "step-1" / "README.md").read_text()
    assert "iris_prototype.ipynb --output-dir reports/runs" in readme
    left = "reports/runs/iris_prototype.ipynb"
    done = subprocess.run(["git", "check-ignore", "--no-index", "-q", left], cwd=REPO_ROOT)
    assert done.returncode == 0
