"""The `reproducible` papermill engine: volatile metadata is dropped, the rest kept."""

from __future__ import annotations

import sys

import nbformat
import papermill  # noqa: F401  (imported first: papermill loads its engines while it is imported)
from nbformat.v4 import new_code_cell, new_notebook
from papermill_reproducible import scrub

from conftest import run


def test_scrub_drops_timings_ids_and_python_version():
    cell = new_code_cell("x = 1", id="random1")
    cell.metadata.update(
        tags=["injected-parameters"],
        execution={"iopub.status.busy": "2024-01-01T00:00:00"},
        papermill={"start_time": "t0", "end_time": "t1", "duration": 1.0, "status": "completed"},
    )
    nb = new_notebook(cells=[cell])
    nb.metadata.update(
        papermill={"start_time": "t0", "end_time": "t1", "duration": 2.0, "parameters": {"a": 1}},
        language_info={"name": "python", "version": "3.11.7"},
    )
    scrub(nb)
    assert nb.metadata.papermill == {"parameters": {"a": 1}}
    assert nb.metadata.language_info == {"name": "python"}
    assert cell.id == "injected-parameters"
    assert "execution" not in cell.metadata
    assert cell.metadata.papermill == {"status": "completed"}


def test_engine_runs_twice_to_identical_bytes_and_creates_the_folder(tmp_path):
    nb = new_notebook(
        cells=[new_code_cell("n = 1", metadata={"tags": ["parameters"]}), new_code_cell("print(n * 2)")],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )
    source = tmp_path / "in.ipynb"
    nbformat.write(nb, source)
    outputs = []
    out = tmp_path / "runs" / "deeper" / "out.ipynb"  # the folder does not exist yet
    for _ in range(2):
        run(
            [sys.executable, "-m", "papermill", "--engine", "reproducible", "--no-progress-bar",
             "-k", "python3", str(source), str(out), "-p", "n", "21"],
            tmp_path,
        )
        outputs.append(out.read_text())
    assert outputs[0] == outputs[1]
    assert "42" in outputs[0]
