"""The `reproducible` papermill engine: the early kernel, the output's folder, no kernel or socket
left behind (what it drops from a notebook, `notebook_hygiene.scrub`: tests/test_hygiene.py; the
same bytes on every run: the executed stages of tests/test_pipeline.py)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
import papermill  # (imported first: papermill loads its engines while it is imported)
import papermill_reproducible
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from conftest import run

PAPERMILL = str(Path(sys.executable).with_name("papermill"))
PID = "import os\nprint(os.getpid())\nassert not fail, 'asked to fail'"  # prints its kernel's process id


def notebook(path: Path) -> str:
    cells = [new_code_cell("fail = False", metadata={"tags": ["parameters"]}), new_code_cell(PID)]
    kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(new_notebook(cells=cells, metadata={"kernelspec": kernelspec}), path)
    return str(path)


def printed_pid(path: Path) -> int:
    return int(nbformat.read(path, as_version=4).cells[-1].outputs[0]["text"])


def test_an_early_kernel_only_for_papermill_with_this_engine_and_the_notebooks_kernel_runs_it(tmp_path, monkeypatch):
    source = notebook(tmp_path / "in.ipynb")
    for argv in (
        [sys.executable, "-m", "papermill", "--engine", "reproducible", source, "out.ipynb"],  # not the command
        [PAPERMILL, source, "out.ipynb"],  # papermill's own engine
        [PAPERMILL, "--engine", "reproducible", "-k", "other", source, "out.ipynb"],  # another kernel
        [PAPERMILL, "--engine", "reproducible", "--cwd", "/", source, "out.ipynb"],  # another folder
        [PAPERMILL, "--engine", "reproducible", str(tmp_path / "missing.ipynb"), "out.ipynb"],
    ):
        assert papermill_reproducible.start_early_kernel(argv) is None, argv
    early = papermill_reproducible.start_early_kernel([PAPERMILL, "--engine", "reproducible", source, "out.ipynb"])
    assert early.kernel_name == "python3" and early.km.has_kernel
    pid = early.km.provisioner.process.pid
    monkeypatch.setattr(papermill_reproducible, "_early", early)
    papermill.execute_notebook(source, tmp_path / "out.ipynb", engine_name="reproducible", progress_bar=False)
    assert printed_pid(tmp_path / "out.ipynb") == pid  # the early kernel ran the cells...
    assert papermill_reproducible._early is None and not early.km.has_kernel  # ...once, and is stopped
    assert not Path(f"/proc/{pid}").exists()


def read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:  # the process ended meanwhile
        return b""


@pytest.mark.parametrize(
    ("outcome", "extra"),
    [("done", []), ("cell-fails", ["-p", "fail", "True"]), ("unknown-parameter", ["-p", "fial", "True"])],
)
def test_papermill_command_makes_the_output_folder_and_leaves_no_kernel_or_connection_file(tmp_path, outcome, extra):
    source, out = notebook(tmp_path / "in.ipynb"), tmp_path / "runs" / "out.ipynb"  # runs/ does not exist yet
    runtime, temp = tmp_path / "runtime", tmp_path / "temp"
    temp.mkdir()
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(runtime), "TMPDIR": str(temp)}
    command = [PAPERMILL, "--engine", "reproducible", "--no-progress-bar", source, str(out)]
    result = run([*command, *extra], tmp_path, env=env, check=False)
    assert result.returncode == (0 if outcome == "done" else 1), result.stderr
    if outcome != "unknown-parameter":
        assert not Path(f"/proc/{printed_pid(out)}").exists()
    # No connection file or IPC socket left (both go to the temporary folder), nor anything in the folder.
    written = [] if outcome == "unknown-parameter" else ["runs"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.ipynb", *written, "temp"]
    assert list(temp.iterdir()) == []
    assert [p for p in Path("/proc").glob("[0-9]*/cmdline") if str(temp).encode() in read(p)] == []
