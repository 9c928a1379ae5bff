"""A papermill engine whose executed notebooks are the same on every run.

Papermill stamps start times, end times and durations into the notebook and each
cell, gives the cell it injects a random id, and nbclient adds message timestamps;
the kernel reports its exact Python version. DVC hashes every stage output, so any
of these would change `dvc.lock` on each run. This engine runs notebooks exactly
like papermill's default one and drops those fields. Select it with
`papermill --engine reproducible`.

Four more differences, each for a pipeline stage's sake:
- it creates the output notebook's folder (papermill refuses to), so a fresh clone
  needs no placeholder folder under `reports/`;
- it talks to the kernel over local sockets (IPC) rather than TCP where the system
  has them, so the kernel does not warn about unencrypted TCP on every stage;
- it shuts the kernel down at once when the notebook is done instead of waiting for
  a graceful exit, which saves a fraction of a second per stage;
- it does not rewrite the output notebook before and after every cell (papermill's
  default, useful to watch hours-long notebooks): papermill writes it once at the
  end, or when a cell fails, with the error in it;
- a parameter the notebook does not take (`-p nmae 1`) is an error naming it and the
  parameters the notebook takes, where papermill only warns and runs on;
- a failure ends the command with one line on stderr, the error and where its full
  traceback is kept (the output notebook), instead of papermill's two tracebacks.
  This is Python's own `sys.excepthook`, set when the engine runs a notebook.
"""

from __future__ import annotations

# papermill loads this module through its `papermill.engine` entry point while it is
# itself being imported: import `papermill.engines` only, never `papermill` first.
import os
import sys
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from papermill.engines import NBClientEngine
from papermill.exceptions import PapermillExecutionError
from papermill.translators import papermill_translators
from traitlets import default

VOLATILE_KEYS = ("start_time", "end_time", "duration")


def scrub(nb):
    """Remove run-dependent metadata from an executed notebook, in place; return it."""
    pm = nb.metadata.get("papermill", {})
    for key in VOLATILE_KEYS:
        pm.pop(key, None)
    nb.metadata.get("language_info", {}).pop("version", None)
    for cell in nb.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = "injected-parameters"
        cell.metadata.pop("execution", None)
        cell_pm = cell.metadata.get("papermill", {})
        for key in VOLATILE_KEYS:
            cell_pm.pop(key, None)
    return nb


class IPCKernelManager(AsyncKernelManager):
    """A kernel manager that connects through Unix sockets instead of TCP ports."""

    @default("transport")
    def _default_transport(self):
        return "ipc"


class ReproducibleEngine(NBClientEngine):
    """papermill's nbclient engine, minus timestamps and durations in its output."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
        kwargs.setdefault("record_timing", False)
        kwargs.setdefault("shutdown_kernel", "immediate")
        if os.name == "posix":
            kwargs.setdefault("kernel_manager_class", IPCKernelManager)
        return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)

    @classmethod
    def execute_notebook(cls, nb, kernel_name, output_path=None, **kwargs):
        sys.excepthook = _one_line(output_path)
        _refuse_unknown_parameters(nb, kernel_name)
        if output_path and "://" not in str(output_path):
            Path(output_path).parent.mkdir(parents=True, exist_ok=True)
        # Without an output path the execution manager skips its per-cell saves;
        # papermill's execute_notebook still writes the result (or the failure) to it.
        return scrub(super().execute_notebook(nb, kernel_name, output_path=None, **kwargs))


class UnknownParameterError(ValueError):
    """papermill was given a parameter the notebook's parameters cell does not define."""


def _refuse_unknown_parameters(nb, kernel_name) -> None:
    given = nb.metadata.get("papermill", {}).get("parameters") or {}
    source = nb.metadata.get("papermill", {}).get("input_path")
    cells = [cell for cell in nb.cells if "parameters" in cell.metadata.get("tags", [])]
    if not given or not cells:
        return
    language = nb.metadata.get("kernelspec", {}).get("language")
    translator = papermill_translators.find_translator(kernel_name, language)
    takes = [parameter.name for parameter in translator.inspect(cells[0])]
    unknown = sorted(set(given) - set(takes))
    if unknown:
        raise UnknownParameterError(
            f"{source}: parameter {unknown[0]!r} (-p {unknown[0]} ...) is not one the notebook takes: "
            f"expected {', '.join(takes) or 'no parameters'} (papermill --help-notebook {source})"
        )


def _one_line(output_path):
    """An excepthook that reports a failed run in one line, saying where the traceback is."""
    default_hook = sys.__excepthook__

    def hook(kind, error, tb):
        if isinstance(error, PapermillExecutionError):
            where = f"; the full traceback is in {output_path}" if output_path else ""
            print(f"error: {error.ename}: {error.evalue} (cell {error.exec_count}{where})", file=sys.stderr)
        elif isinstance(error, UnknownParameterError):
            print(f"error: {error}", file=sys.stderr)
        else:
            default_hook(kind, error, tb)

    return hook
