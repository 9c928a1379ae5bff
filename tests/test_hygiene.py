"""Repository hygiene: `pre-commit run --all-files` passes in a fresh clone (committed files
only, its cache and git config in a temporary folder) with local hooks from the project's
environment; each hook catches what it claims (tools/check_notebook_outputs.py, the one no
tool has, names the notebook and the cell); what a notebook stores (notebook_hygiene);
.gitattributes routes notebook diffs and merges to nbdime's git drivers."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
import yaml
from nbformat.v4 import new_code_cell, new_notebook
from notebook_hygiene import PORTABLE_ROOT, portable_text, scrub

from conftest import REPO_ROOT, Repo, isolated_env, run

REPOS = yaml.safe_load((REPO_ROOT / ".pre-commit-config.yaml").read_text())["repos"]
HOOKS = {hook["id"]: hook for repo in REPOS for hook in repo["hooks"]}
BIN = Path(sys.executable).parent
_spec = importlib.util.spec_from_file_location("checker", REPO_ROOT / "tools" / "check_notebook_outputs.py")
checker = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(checker)


def test_pre_commit_passes_on_a_fresh_clone(tmp_path: Path) -> None:
    """Its lesson-outputs hook: every lesson's outputs come from one clean run, nothing of a machine."""
    clone = Repo.clone_of_this_repo(tmp_path)
    env = {**clone.env, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "PRE_COMMIT_COLOR": "never"}
    run([str(BIN / "pre-commit"), "run", "--all-files", "--show-diff-on-failure"], clone.root, env)
    assert clone.git("status", "--porcelain").stdout == "", "the hooks changed files"


def test_hooks_are_local_and_use_the_project_environment() -> None:
    assert {repo["repo"] for repo in REPOS} == {"local"}, "a hook repo would be downloaded"
    assert {hook["language"] for hook in HOOKS.values()} == {"system"}
    assert {"ruff", "lesson-outputs"} <= set(HOOKS), HOOKS  # the file hooks: their own test, below


def test_gitattributes_sends_notebooks_to_nbdime() -> None:
    shown = run(["git", "check-attr", "diff", "merge", "--", "lessons/01-introduction.ipynb"], REPO_ROOT).stdout
    assert "diff: jupyternotebook" in shown and "merge: jupyternotebook" in shown, shown


def code_cell(source: str, count: int | None, *outputs: dict, tags: tuple = ()) -> dict:
    return {"cell_type": "code", "id": f"c{count}", "source": source, "execution_count": count,
            "metadata": {"tags": list(tags)}, "outputs": list(outputs)}  # fmt: skip


def stream(text: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": text}


def write_notebook(path: Path, cells: list[dict], metadata: dict | None = None) -> Path:
    markdown = {"cell_type": "markdown", "id": "intro", "source": "# Title", "metadata": {}}
    notebook = {"cells": [markdown, *cells], "metadata": metadata or {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(notebook))
    return path


ERROR = {"output_type": "error", "ename": "ValueError", "evalue": "boom", "traceback": []}
# fmt: off
# Cells after the title -> what follows `nb.ipynb: cell ` in each problem the checker names.
CHECKS = {
    "clean run": ([code_cell("x = 1", 1), code_cell("print(x)", 2, stream("1\n")), code_cell("", None),
                   code_cell("x", 3)], []),
    "never run": ([code_cell("x = 1", None), code_cell("x", None)], []),
    "out of order": ([code_cell("a = 1", 1), code_cell("b = 2", 3), code_cell("c", 2)],
                     ["3 (id c3): execution_count 3, expected 2", "4 (id c2): execution_count 2, expected 4"]),
    "a cell rerun": ([code_cell("a = 1", 1), code_cell("b = 2", 5)], ["3 (id c5): execution_count 5, expected 2"]),
    "a cell not run": ([code_cell("print(1)", 1, stream("1\n")), code_cell("x", None)],
                       ["3 (id cNone): not executed (execution_count null)"]),
    "an error": ([code_cell("raise", 1, ERROR)], ["2 (id c1): error output ValueError: boom"]),
    "an error shown": ([code_cell("raise", 1, ERROR, tags=("raises-exception",))], []),
    "a machine path": ([code_cell("!ls", 1, stream("in /home/ana/mlops/lessons/x.py\n"))],
                       ["2: an absolute path into a checkout, '/home/ana/mlops/lessons/'"]),
    "the portable path": ([code_cell("!ls", 1, stream(f"in {PORTABLE_ROOT}/lessons/x.py\n"))], []),
}
# fmt: on


@pytest.mark.parametrize("case", CHECKS)
def test_the_checker_names_each_problem_with_file_and_cell(tmp_path: Path, case: str) -> None:
    cells, expected = CHECKS[case]
    nb = write_notebook(tmp_path / "nb.ipynb", cells)
    problems = [problem.removeprefix(str(tmp_path) + "/") for problem in checker.check_notebook(nb)]
    assert len(problems) == len(expected), problems
    assert all(p.startswith(f"nb.ipynb: cell {start}") for start, p in zip(expected, problems, strict=True)), problems


def test_the_command_line_refuses_a_python_version_and_unreadable_files(tmp_path: Path, capsys) -> None:
    """(Exit 0 on clean notebooks: the lesson-outputs hook in test_pre_commit_passes_on_a_fresh_clone.)"""
    nb = write_notebook(tmp_path / "nb.ipynb", [code_cell("x", None)], {"language_info": {"version": "3.11.7"}})
    assert checker.main([str(nb)]) == 1
    rerun = f"rerun it top to bottom: make lessons LESSONS={nb}"
    assert capsys.readouterr().out == f"{nb}: its metadata holds the Python version or a run's times; {rerun}\n"
    nb.write_text("{ not json")
    assert "nb.ipynb: not a readable notebook" in checker.check_notebook(nb)[0]


def test_portable_text_replaces_only_the_whole_checkout_path() -> None:
    mine = "in /home/ana/mlops/workspace/x, /home/ana/mlops. and /home/ana/mlops-steps/y, /home/ana/mlops.venv"
    portable = f"in {PORTABLE_ROOT}/workspace/x, {PORTABLE_ROOT}. and /home/ana/mlops-steps/y, /home/ana/mlops.venv"
    assert portable_text(mine, Path("/home/ana/mlops")) == portable


def test_scrub_drops_timings_ids_and_python_version():
    times = {"start_time": "t0", "end_time": "t1", "duration": 1.0}
    cell = new_code_cell("x = 1", id="random1")
    cell.metadata.update(tags=["injected-parameters"], execution={"iopub.status.busy": "2024-01-01T00:00:00"},
                         papermill={**times, "status": "completed"})  # fmt: skip
    nb = new_notebook(cells=[cell])
    nb.metadata.update(papermill={**times, "parameters": {"a": 1}}, language_info={"name": "python", "version": "3.11"})
    scrub(nb)
    assert (nb.metadata.papermill, nb.metadata.language_info) == ({"parameters": {"a": 1}}, {"name": "python"})
    assert (cell.id, cell.metadata.papermill) == ("injected-parameters", {"status": "completed"})
    assert "execution" not in cell.metadata


@pytest.mark.parametrize(
    ("hook_id", "good", "bad", "message"),
    [
        ("check-yaml", "a: 1\n---\nb: [2, 3]\n", "a: [1, 2\nb: 3\n", "bad.check-yaml"),
        ("check-json", '{"f1": 0.93}', '{"f1": 0.93, "f1": 0.5}', "Duplicate key: f1"),
        ("large-files", "x" * 1024, "x" * (1024 * 1024 + 1), "exceeds 1024 KB"),
    ],
)
def test_file_hooks_accept_good_files_and_name_bad_ones(tmp_path: Path, hook_id, good, bad, message) -> None:
    env = isolated_env(tmp_path)
    run(["git", "init", "-q"], tmp_path, env)  # as pre-commit runs them: in a repository
    for name, text in (("good", good), ("bad", bad)):
        (tmp_path / f"{name}.{hook_id}").write_text(text)
    tool, *options = HOOKS[hook_id]["entry"].split(" -- ", 1)[1].split()  # without the `sh -c` PATH prefix
    command = [str(BIN / tool), *options]
    run([*command, f"good.{hook_id}"], tmp_path, env)
    result = run([*command, f"bad.{hook_id}"], tmp_path, env, check=False)
    assert result.returncode == 1
    shown = result.stdout + result.stderr
    assert f"bad.{hook_id}" in shown and message in shown, shown
