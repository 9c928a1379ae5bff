"""What JupyterLab saves: a notebook opened and saved stays as committed.

JupyterLab fills `language_info` from the kernel when it opens a notebook, so autosave
writes the kernel's exact Python version (`3.11.7`, by machine): a lesson opened and never
run would show as modified and `git switch` refuse. A stage notebook run in JupyterLab would
be saved with its outputs, so git shows it modified and DVC, which hashes it, reruns the stage.

`pre_save`, a jupyter_server pre-save hook (`FileContentsManager.pre_save_hook`), applies
`notebook_hygiene.for_save` before a notebook is written: `language_info` as on disk, and a
stage notebook without the outputs and metadata of a run; edits to the code are saved.
`make setup` runs `python -m workbook.jupyter_save install`, which sets the hook in the
environment's own server config, `.venv/etc/jupyter/jupyter_server_config.json`, keeping the
rest of that file (not in `jupyter_server_config.d/`, where jupyter_server reads only
`ServerApp.jpserver_extensions`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from notebook_hygiene import for_save

HOOK = "workbook.jupyter_save.pre_save"
CONFIG_FILE = "jupyter_server_config.json"


def install(prefix: str | Path = sys.prefix) -> Path:
    """Set `FileContentsManager.pre_save_hook` to HOOK in the server config file of the environment
    at `prefix` (in Jupyter's config path, `jupyter --paths`)."""
    path = Path(prefix) / "etc" / "jupyter" / CONFIG_FILE
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
