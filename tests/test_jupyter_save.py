"""What JupyterLab saves (workbook.jupyter_save, notebook_hygiene.for_save), through its save path:
the server's configuration loaded as `jupyter lab` loads it, and a `FileContentsManager` built
from it. tests/test_browser.py does the same save in a real browser.
"""

from __future__ import annotations

import copy
import json

import nbformat
import notebook_hygiene
import pytest
from nbclient import NotebookClient

from conftest import REPO_ROOT, Repo, copy_of
from iris_pipeline.io import PROJECT_MARKERS
from workbook import jupyter_save
from workbook.run_lessons import KERNEL

LESSON = "lessons/01-introduction.ipynb"
STAGE_ORDER = ("data_load", "featurize", "data_split", "train", "evaluate")
# What a kernel of this environment reports, as JupyterLab puts it into the notebook.
KERNEL_LANGUAGE_INFO = {"codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
                        "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
                        "pygments_lexer": "ipython3", "version": "3.11.7"}  # fmt: skip


@pytest.fixture
def contents_manager(tmp_path, monkeypatch):
    """A function (root folder -> FileContentsManager) configured as `jupyter lab` from .venv is."""
    from jupyter_server.serverapp import ServerApp
    from jupyter_server.services.contents.filemanager import FileContentsManager

    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / "jupyter-user-config"))  # not the user's own
    app = ServerApp()
    app.load_config_file()
    hook = app.config.FileContentsManager.get("pre_save_hook")
    assert hook == jupyter_save.HOOK, f"the server config sets pre_save_hook = {hook!r}: run `make setup`"
    checkpoints = {"root_dir": str(tmp_path / "checkpoints")}
    return lambda root: FileContentsManager(config=app.config, root_dir=str(root), checkpoints_kwargs=checkpoints)


def save(manager, path: str, notebook: dict) -> None:
    """Save `notebook` at `path` as JupyterLab does: PUT /api/contents/<path> -> contents_manager.save."""
    manager.save({"type": "notebook", "format": "json", "content": copy.deepcopy(notebook)}, path)


def test_install_sets_the_hook_and_keeps_the_rest_of_the_config(tmp_path):
    config = tmp_path / "etc" / "jupyter" / "jupyter_server_config.json"
    config.parent.mkdir(parents=True)
    config.write_text(json.dumps({"ServerApp": {"port": 9999}, "FileContentsManager": {"use_atomic_writing": False}}))
    assert jupyter_save.install(tmp_path) == config
    assert json.loads(config.read_text()) == {
        "ServerApp": {"port": 9999},
        "FileContentsManager": {"use_atomic_writing": False, "pre_save_hook": jupyter_save.HOOK},
    }
    config.write_text("[1, 2]")
    with pytest.raises(SystemExit, match=r"jupyter_server_config\.json: a JSON list: expected an object"):
        jupyter_save.install(tmp_path)


def test_a_lesson_keeps_its_outputs_and_a_new_notebook_what_the_kernel_reports(tmp_path, contents_manager):
    # (A lesson saved unchanged stays byte for byte as committed: tests/test_browser.py, in JupyterLab.)
    root = tmp_path / "checkout"
    (root / "lessons").mkdir(parents=True)
    (root / LESSON).write_bytes((REPO_ROOT / LESSON).read_bytes())
    manager = contents_manager(root)
    opened = manager.get(LESSON)["content"]  # what JupyterLab loads ...
    opened["metadata"]["language_info"] = dict(KERNEL_LANGUAGE_INFO)  # ... and fills in from the kernel
    # Outputs of a lesson are the learner's to keep: only machine-specific metadata is left as on disk.
    first = next(index for index, cell in enumerate(opened["cells"]) if cell["cell_type"] == "code")
    opened["cells"][first]["outputs"] = [nbformat.v4.new_output("stream", text="mine\n")]
    save(manager, LESSON, opened)
    saved = json.loads((root / LESSON).read_text())
    assert saved["cells"][first]["outputs"] == [{"name": "stdout", "output_type": "stream", "text": ["mine\n"]}]
    assert "version" not in saved["metadata"]["language_info"]
    # A new notebook keeps what the kernel reports.
    save(manager, "mine.ipynb", nbformat.v4.new_notebook(metadata={"language_info": dict(KERNEL_LANGUAGE_INFO)}))
    assert json.loads((root / "mine.ipynb").read_text())["metadata"]["language_info"] == KERNEL_LANGUAGE_INFO


@pytest.mark.slow
def test_stage_notebooks_run_in_jupyterlab_as_under_dvc_repro(reproduced_project: Repo, tmp_path, contents_manager):
    """Each stage as a learner explores it: kernel in stages/, run top to bottom, saved with outputs
    (and JupyterLab's view metadata); an edit of its code is saved, without the run."""
    assert notebook_hygiene.PROJECT_MARKERS == PROJECT_MARKERS  # a stage is known as the package knows a project
    # The project as in a learner's checkout: reproduced, and the .gitignore files DVC wrote committed.
    project = copy_of(reproduced_project, tmp_path)
    tracked = {path: (project.root / path).read_bytes() for path in ("reports/metrics.json", "models/model.joblib")}
    manager = contents_manager(project.root)
    for stage in STAGE_ORDER:
        path = f"stages/{stage}.ipynb"
        notebook = nbformat.read(project.root / path, as_version=4)
        # JupyterLab starts the kernel in the notebook's folder, and runs the cells as they are
        # (no injected parameters: params_file keeps its default, params.yaml).
        in_stages = {"metadata": {"path": str(project.root / "stages")}}
        NotebookClient(notebook, kernel_name=KERNEL, timeout=600, resources=in_stages).execute()
        assert any(cell.get("outputs") for cell in notebook.cells), f"{path} ran without any output"
        for cell in notebook.cells:
            if cell.cell_type == "code":  # as JupyterLab shows it: scrolled, outputs collapsed
                cell.metadata.update(scrolled=True, jupyter={"outputs_hidden": True})
        save(manager, path, notebook)
    # The same inputs gave the same outputs, written where dvc repro writes them ...
    for output, before in tracked.items():
        assert (project.root / output).read_bytes() == before, output
    assert not (project.root / "stages" / "data").exists() and not (project.root / "stages" / "reports").exists()
    # ... and the project is as it was: nothing for git to commit, nothing for DVC to rerun.
    assert project.git("status", "--porcelain").stdout == ""
    assert "Data and pipelines are up to date." in project.dvc("status").stdout

    # An edit of the code of the stage run last (`notebook`, `path`) is saved: that is a change of the stage.
    notebook.cells[-1].source += "\nprint('more')"
    save(manager, path, notebook)
    assert project.git("status", "--porcelain").stdout == f" M {path}\n"
    saved = nbformat.read(project.root / path, as_version=4)
    assert saved.cells[-1].source.endswith("print('more')") and saved.cells[-1].outputs == []
