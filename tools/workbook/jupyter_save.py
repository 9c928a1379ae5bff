"""What JupyterLab saves: a notebook opened and saved stays as committed.

JupyterLab fills a notebook's `language_info` from the running kernel when it opens the
notebook, so the tab is "dirty" at once and autosave writes, for example, the kernel's exact
Python version (`3.11.7`), which differs by machine: a lesson opened and never run shows as
modified in git, and `git switch` refuses. The stage notebooks (`stages/*.ipynb`) have a
second problem: run in JupyterLab to explore them, they would be saved with their outputs,
so git shows them modified and DVC, which hashes the notebook, reruns the stage.

`pre_save` is a jupyter_server pre-save hook (the documented
`FileContentsManager.pre_save_hook` trait, an import string). Before a notebook is written,
it keeps `language_info` as the file on disk has it, and saves a stage notebook (in a
`stages/` folder beside a `dvc.yaml` or a `params.yaml`) without outputs, execution counts
or the cell metadata of a run or a view: `notebook_hygiene.for_save`, where the course's
other notebook writers keep their rules too. Edits to the code are saved as usual.

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

from notebook_hygiene import for_save

HOOK = "workbook.jupyter_save.pre_save"
CONFIG_FILE = "jupyter_server_config.json"


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


def pre_save(model: dict, path: str, contents_manager: Any, **kwargs: Any) -> None:
    """jupyter_server's pre-save hook: edits `model["content"]` in place before it is written."""
    from jupyter_server.utils import to_os_path

    if model.get("type") == "notebook" and isinstance(model.get("content"), dict):
        for_save(model["content"], Path(to_os_path(path.strip("/"), contents_manager.root_dir)))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args != ["install"]:
        print("usage: python -m workbook.jupyter_save install", file=sys.stderr)
        return 2
    print(f"{install()}: FileContentsManager.pre_save_hook = {HOOK}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
