"""What JupyterLab saves: a notebook opened and saved stays as committed.

JupyterLab fills a notebook's `language_info` from the running kernel when it opens the
notebook, so the tab is "dirty" at once and autosave writes, for example, the kernel's exact
Python version (`3.11.7`), which differs by machine: a lesson opened and never run shows as
modified in git, and `git switch` refuses. The stage notebooks (`stages/*.ipynb`) have a
second problem: run in JupyterLab to explore them, they would be saved with their outputs,
so git shows them modified and DVC, which hashes the notebook, reruns the stage.

`pre_save` is a jupyter_server pre-save hook (the documented
`FileContentsManager.pre_save_hook` trait, an import string). Before a notebook is written:

- `language_info`, which the kernel reports and which differs by machine, is kept as the
  file on disk has it (when the file exists and names the same language);
- a stage notebook (a notebook in a `stages/` folder beside a `dvc.yaml` or a `params.yaml`,
  the project root of `iris_pipeline.io.project_root`) is saved without
  outputs, execution counts or the cell metadata that only records a run or a view
  (`execution`, `collapsed`, `scrolled`, `jupyter.outputs_hidden`): the stage stays as
  committed, and its executed copy, outputs included, is the one `dvc repro` keeps in
  `reports/runs/`. Edits to the code are saved as usual.

`make setup` installs the hook for every `jupyter lab` (or `jupyter server`) started from
`.venv`: `python -m workbook.jupyter_save install` sets it in the environment's own server
config file, `.venv/etc/jupyter/jupyter_server_config.json`, keeping whatever else that file
holds. (Not in `jupyter_server_config.d/`: jupyter_server reads only the extensions to
enable, `ServerApp.jpserver_extensions`, from the files in that folder.)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HOOK = "workbook.jupyter_save.pre_save"
CONFIG_FILE = "jupyter_server_config.json"
STAGES_DIR = "stages"
PROJECT_MARKERS = ("dvc.yaml", "params.yaml")  # as iris_pipeline.io.PROJECT_MARKERS
# Cell metadata that records a run or a view, not the stage: dropped with the outputs.
RUN_METADATA = ("execution", "collapsed", "scrolled")


def config_path(prefix: str | Path = sys.prefix) -> Path:
    """The server config file of the environment at `prefix` (in Jupyter's config path, `jupyter --paths`)."""
    return Path(prefix) / "etc" / "jupyter" / CONFIG_FILE


def install(prefix: str | Path = sys.prefix) -> Path:
    """Set `FileContentsManager.pre_save_hook` to HOOK in the server config file of `prefix`."""
    path = config_path(prefix)
    config = {}
    if path.is_file():
        try:
            config = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as err:
            raise SystemExit(f"error: {path}: not valid JSON ({err}): expected a Jupyter server config file") from None
        if not isinstance(config, dict):
            raise SystemExit(f"error: {path}: a JSON {type(config).__name__}: expected an object (a config file)")
    config.setdefault("FileContentsManager", {})["pre_save_hook"] = HOOK
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def is_stage_notebook(os_path: Path) -> bool:
    """A notebook in `stages/` of a project (the folder that also holds dvc.yaml or params.yaml)."""
    project = os_path.parent.parent
    return os_path.parent.name == STAGES_DIR and any((project / marker).is_file() for marker in PROJECT_MARKERS)


def saved_metadata(os_path: Path) -> dict | None:
    """The notebook metadata of the file on disk, or None when there is no such notebook yet."""
    try:
        stored = json.loads(os_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    metadata = stored.get("metadata") if isinstance(stored, dict) else None
    return metadata if isinstance(metadata, dict) else None


def keep_language_info(notebook: dict, os_path: Path) -> None:
    """`language_info` as the file on disk has it (also when it has none), for the same language.

    A new notebook, or one whose kernel now reports another language, keeps what the kernel reported.
    """
    on_disk = saved_metadata(os_path)
    if on_disk is None:
        return
    metadata = notebook.setdefault("metadata", {})
    stored = on_disk.get("language_info")
    reported = metadata.get("language_info")
    if isinstance(stored, dict) and isinstance(reported, dict) and reported.get("name") != stored.get("name"):
        return
    if stored is None:
        metadata.pop("language_info", None)
    else:
        metadata["language_info"] = stored


def strip_run(notebook: dict) -> None:
    """Drop outputs, execution counts and run/view-only cell metadata, in place."""
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        cell["outputs"] = []
        cell["execution_count"] = None
        metadata = cell.get("metadata", {})
        for key in RUN_METADATA:
            metadata.pop(key, None)
        jupyter = metadata.get("jupyter")
        if isinstance(jupyter, dict):
            jupyter.pop("outputs_hidden", None)
            if not jupyter:
                del metadata["jupyter"]


def os_path_of(path: str, contents_manager: Any) -> Path:
    """The file an API path (relative to the server's root, `/`-separated) is saved to."""
    from jupyter_server.utils import to_os_path

    return Path(to_os_path(path.strip("/"), contents_manager.root_dir))


def pre_save(model: dict, path: str, contents_manager: Any, **kwargs: Any) -> None:
    """jupyter_server's pre-save hook: edits `model["content"]` in place before it is written."""
    if model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
        return
    os_path = os_path_of(path, contents_manager)
    notebook = model["content"]
    keep_language_info(notebook, os_path)
    if is_stage_notebook(os_path):
        strip_run(notebook)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args != ["install"]:
        print("usage: python -m workbook.jupyter_save install", file=sys.stderr)
        return 2
    print(f"{install()}: FileContentsManager.pre_save_hook = {HOOK}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
