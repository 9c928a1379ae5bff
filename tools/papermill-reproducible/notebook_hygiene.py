"""Notebook hygiene: what a notebook stores is the same on every run and on every machine.

Used by the papermill engine, the lesson runner, JupyterLab's save hook and the pre-commit
check. It ships in the engine's distribution so that every step branch (none carries
tools/) has it, and imports nothing that papermill does not import already.
"""

from __future__ import annotations

import configparser
import copy
import json
import os
import re
import tempfile
import uuid
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import default

RUN_TIMES = ("start_time", "end_time", "duration")  # papermill's, in the notebook and each cell
PROJECT_MARKERS = ("dvc.yaml", "params.yaml")  # a project's root, as iris_pipeline.io has them
RUN_METADATA = ("execution", "collapsed", "scrolled")  # a code cell's metadata of a run or a view
PORTABLE_ROOT = "/path/to/workbook"  # a checkout's path in stored outputs; still a path for nbval
# An absolute path that ends in one of a checkout's folders: a machine's path.
CHECKOUT_PATH = re.compile(r"(?<![\w./-])(/[^\s'\"`:=,;()\[\]]*?)/(?:workspace|lessons|\.venv|stages|src|reports)/")


def scrub(nb: dict) -> dict:
    """Drop what a run stamps into `nb` (times, the injected cell's random id, the Python version), in place."""
    for metadata in (nb["metadata"], *(cell["metadata"] for cell in nb["cells"])):
        for key in RUN_TIMES:
            metadata.get("papermill", {}).pop(key, None)
    nb["metadata"].get("language_info", {}).pop("version", None)
    for cell in nb["cells"]:
        if "injected-parameters" in cell["metadata"].get("tags", []):
            cell["id"] = "injected-parameters"
        cell["metadata"].pop("execution", None)
    return nb


def for_save(nb: dict, path: Path) -> None:
    """`nb` as JupyterLab is to write it to `path`, in place: `language_info` (with this machine's
    Python version) as on disk, also when absent there, unless the file is new or its kernel now
    reports another language; a project's `stages/` notebook without the outputs and cell
    metadata of a run (`dvc repro` keeps the executed copy)."""
    try:
        on_disk = json.loads(path.read_text(encoding="utf-8"))["metadata"]
    except (OSError, ValueError, TypeError, KeyError):
        on_disk = None
    if isinstance(on_disk, dict):
        metadata = nb.setdefault("metadata", {})
        stored, reported = on_disk.get("language_info"), metadata.get("language_info")
        if not (isinstance(stored, dict) and isinstance(reported, dict) and reported.get("name") != stored.get("name")):
            if stored is None:
                metadata.pop("language_info", None)
            else:
                metadata["language_info"] = stored
    if path.parent.name != "stages" or not any((path.parent.parent / name).is_file() for name in PROJECT_MARKERS):
        return
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        cell["outputs"], cell["execution_count"] = [], None
        metadata = cell.get("metadata", {})
        for key in RUN_METADATA:
            metadata.pop(key, None)
        if isinstance(jupyter := metadata.get("jupyter"), dict):
            jupyter.pop("outputs_hidden", None)
            if not jupyter:
                del metadata["jupyter"]


def _strings(value):
    """(container, key) of every string inside `value` (lists and dicts), images left out."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        if str(key).startswith("image/"):
            continue
        if isinstance(item, str):
            yield value, key
        else:
            yield from _strings(item)


def _edit_strings(value, edit) -> None:
    for container, key in list(_strings(value)):
        container[key] = edit(container[key])


def portable_text(text: str, root: Path) -> str:
    """`text` with the absolute path of `root` (a whole path component) as PORTABLE_ROOT."""
    return re.sub(re.escape(str(root)) + r"(?![\w-]|\.\w)", PORTABLE_ROOT, text)


def portable_outputs(nb: dict, root: Path) -> None:
    for cell in nb["cells"]:
        _edit_strings(cell.get("outputs", []), lambda text: portable_text(text, root))


def machine_paths(nb: dict) -> list[tuple[int, str]]:
    """(cell number, path) of each absolute path into a checkout left in `nb`'s text outputs."""
    return [
        (number, match.group(0))
        for number, cell in enumerate(nb["cells"], 1)
        for container, key in _strings(cell.get("outputs", []))
        for match in CHECKOUT_PATH.finditer(container[key])
        if match.group(1) and "/" + match.group(1).lstrip("/") != PORTABLE_ROOT
    ]


def volatile_patterns(path: Path) -> list[tuple[re.Pattern, str]]:
    """The substitutions nbval applies before comparing outputs (`--nbval-sanitize-with path`)."""
    config = configparser.ConfigParser(interpolation=None)
    config.read(path)
    return [(re.compile(config[name]["regex"]), config[name]["replace"]) for name in config.sections()]


def keep_unchanged_outputs(old: dict, new: dict, patterns: list[tuple[re.Pattern, str]]) -> int:
    """Give each code cell of `new` the outputs `old` stored where the two differ only in what
    `patterns` substitute, so a rerun rewrites no line the content did not change. Returns how
    many cells kept theirs."""

    def sanitized(outputs):
        outputs = copy.deepcopy(outputs)
        for pattern, replace in patterns:
            _edit_strings(outputs, lambda text, pattern=pattern, replace=replace: pattern.sub(replace, text))
        return outputs

    old_cells = {cell.get("id"): cell for cell in old["cells"] if cell["cell_type"] == "code"}
    kept = 0
    for cell in new["cells"]:
        before = old_cells.get(cell.get("id"))
        if cell["cell_type"] != "code" or before is None or before["source"] != cell["source"]:
            continue
        if before["outputs"] != cell["outputs"] and sanitized(before["outputs"]) == sanitized(cell["outputs"]):
            cell["outputs"] = before["outputs"]
            kept += 1
    return kept


class IPCKernelManager(AsyncKernelManager):
    """Kernels on Unix sockets, not TCP ports (no warning about unencrypted TCP), at a unique
    absolute path in the temporary folder: jupyter_client's default, `kernel-ipc-N` relative to
    each process's folder, fails when the kernel starts in another folder than its client."""

    @default("transport")
    def _default_transport(self):
        return "ipc"

    @default("ip")
    def _default_ip(self):
        return os.path.join(tempfile.gettempdir(), f"kernel-{uuid.uuid4().hex[:12]}-ipc")
