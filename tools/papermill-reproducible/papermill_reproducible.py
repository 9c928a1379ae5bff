"""A papermill engine whose executed notebooks are the same bytes on every run (DVC hashes them).

`papermill --engine reproducible` runs notebooks like papermill's default engine, without
what a run stamps in (`notebook_hygiene.scrub`), on a kernel started early and over local
sockets; it creates the output's folder, refuses a parameter the notebook does not take,
and ends a failure with one line on stderr.
"""

from __future__ import annotations

# papermill loads this module through its `papermill.engine` entry point while it is
# itself being imported: import `papermill.engines` only, never `papermill` first.
import asyncio
import atexit
import json
import os
import sys
from pathlib import Path

from notebook_hygiene import IPCKernelManager, scrub
from papermill.engines import NBClientEngine
from papermill.exceptions import PapermillExecutionError
from papermill.translators import papermill_translators
from traitlets import List


class ClientKeepingKernelManager(IPCKernelManager):
    """Keeps the clients it makes: nbclient stops the channels only of a kernel it started."""

    clients = List()

    def client(self, **kwargs):
        client = super().client(**kwargs)
        self.clients.append(client)
        return client


class EarlyKernel:
    """A kernel started before papermill asks for one, with the arguments nbclient would give it."""

    def __init__(self, kernel_name: str):
        self.kernel_name = kernel_name
        self.cwd = os.getcwd()
        self.km = ClientKeepingKernelManager(kernel_name=kernel_name)
        # nbclient's default for ipykernel: no history file written on disk.
        asyncio.run(self.km.start_kernel(extra_arguments=["--HistoryManager.hist_file=:memory:"]))
        atexit.register(self.kill)

    def kill(self) -> None:
        """Stop the kernel at once and remove its files (without `shutdown_kernel`'s 0.1 s polling)."""
        for client in self.km.clients:
            client.stop_channels()
        if not self.km.has_kernel:
            return
        process = getattr(self.km.provisioner, "process", None)  # LocalProvisioner's Popen
        if process is None:
            asyncio.run(self.km.shutdown_kernel(now=True))
            return
        process.kill()
        process.wait()
        asyncio.run(self._forget())

    async def _forget(self) -> None:
        await self.km.provisioner.wait()  # the process has ended: returns at once
        await self.km.cleanup_resources()  # the connection file and the IPC sockets


# Options after which the kernel of the notebook's metadata may not be the one to run.
_NO_EARLY_START = {"-k", "--kernel", "-l", "--language", "--cwd", "--prepare-only", "--help", "--help-notebook"}


def start_early_kernel(argv: list[str]) -> EarlyKernel | None:
    """For `papermill --engine reproducible ... IN.ipynb OUT.ipynb`, IN's kernel, started while papermill
    is still importing (about 0.3 s of a stage's 0.45 s start); None for any other command."""
    if Path(argv[0]).name != "papermill" or "--engine" not in argv or "reproducible" not in argv:
        return None
    if _NO_EARLY_START & set(argv):
        return None
    notebooks = [arg for arg in argv[1:] if arg.endswith(".ipynb") and Path(arg).is_file()]
    try:
        kernel_name = json.loads(Path(notebooks[0]).read_text())["metadata"]["kernelspec"]["name"]
    except (IndexError, OSError, ValueError, KeyError, TypeError):
        return None
    return EarlyKernel(kernel_name)


class ReproducibleEngine(NBClientEngine):
    """papermill's nbclient engine, minus timestamps and durations in its output."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
        kwargs.setdefault("record_timing", False)
        kwargs.setdefault("shutdown_kernel", "immediate")
        global _early
        early, _early = _early, None  # one notebook per command: the kernel is used once
        if early and early.kernel_name == kernel_name and early.cwd == os.getcwd() and "km" not in kwargs:
            try:
                return super().execute_managed_notebook(nb_man, kernel_name, km=early.km, **kwargs)
            finally:
                early.kill()
        if early:
            early.kill()
        if os.name == "posix":
            kwargs.setdefault("kernel_manager_class", IPCKernelManager)
        return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)

    @classmethod
    def execute_notebook(cls, nb, kernel_name, output_path=None, **kwargs):
        sys.excepthook = _one_line(output_path)
        _refuse_unknown_parameters(nb, kernel_name)
        if output_path and "://" not in str(output_path):  # papermill refuses a folder that does not exist
            Path(output_path).parent.mkdir(parents=True, exist_ok=True)
        # Without an output path the execution manager skips its per-cell saves;
        # papermill's execute_notebook still writes the result (or the failure) to it.
        return scrub(super().execute_notebook(nb, kernel_name, output_path=None, **kwargs))


class UnknownParameterError(ValueError):
    """A parameter the notebook's parameters cell does not define."""


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

    def hook(kind, error, tb):
        if isinstance(error, PapermillExecutionError):
            where = f"; the full traceback is in {output_path}" if output_path else ""
            print(f"error: {error.ename}: {error.evalue} (cell {error.exec_count}{where})", file=sys.stderr)
        elif isinstance(error, UnknownParameterError):
            print(f"error: {error}", file=sys.stderr)
        else:
            sys.__excepthook__(kind, error, tb)

    return hook


_early: EarlyKernel | None = start_early_kernel(sys.argv)
