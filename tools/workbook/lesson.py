"""What a lesson's collapsed cells use: its workspace, and what its checks read.

A learner sees commands as typed in a terminal (`%%bash` cells, `!` lines) and what they
print. The proof that a demo did what the text says sits in collapsed cells tagged `check`,
which read what the cell above printed (`shown()`) and the project's state, and raise if the
claim is false. Each lesson opens with one collapsed `setup` cell, `ws = start("03-pipelines")`:
the lesson's scratch workspace (`workbook.workspace`), the kernel moved into it, and

- a `%%bash` cell that stops at its first failing command and then fails (and so the lesson
  run), as `set -e -o pipefail` in a script, read from the file `BASH_ENV` names; its stderr
  joins its stdout, one stream in a terminal's order (a demo of a failure types
  `|| echo "exit code: $?"`);
- a `!` line whose command fails fails its cell (IPython itself only sets `_exit_code`);
- what each cell prints recorded by the kernel for `shown()` (Jupyter keeps outputs in the
  front end only).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from workbook.workspace import Workspace, new_workspace

BASH_SETTINGS = "set -e -o pipefail\nexec 2>&1\n"


class _Recorder:
    """Keeps what the kernel printed, per cell: the cell running now and the one before."""

    def __init__(self) -> None:
        self.current: list[str] = []
        self.previous = ""
        self.outermost: dict[str, _Tee] = {}

    def pre_run_cell(self, _info: Any = None) -> None:
        self.previous, self.current = "".join(self.current), []
        # Wrap whatever stream is there now, unless it is our own. Another library may have
        # wrapped ours (`import dvc` runs colorama.init()): the new wrapper records, the one
        # inside it only passes text on, so nothing is recorded twice.
        for name in ("stdout", "stderr"):
            stream = getattr(sys, name)
            if stream is not self.outermost.get(name):
                self.outermost[name] = _Tee(stream, self, name)
                setattr(sys, name, self.outermost[name])


class _Tee:
    """A stream that writes through to `stream`, keeping a copy while it is the outermost."""

    def __init__(self, stream: Any, recorder: _Recorder, name: str) -> None:
        self._stream, self._recorder, self._name = stream, recorder, name

    def write(self, text: str) -> int:
        if self._recorder.outermost.get(self._name) is self:
            self._recorder.current.append(text)
        return self._stream.write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


_recorder = _Recorder()


def start(name: str) -> Workspace:
    """Create the lesson's workspace afresh, move into it, and arrange the commands' proofs."""
    ws = new_workspace(name)
    settings = ws.root.parent / f".{name}-home" / "bash-settings"
    settings.write_text(BASH_SETTINGS, encoding="utf-8")
    os.environ["BASH_ENV"] = str(settings)
    os.chdir(ws.root)
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None:
        events = shell.events
        if _recorder.pre_run_cell not in events.callbacks["pre_run_cell"]:
            events.register("pre_run_cell", _recorder.pre_run_cell)
        if not getattr(shell.system, "raises", False):
            shell.system = _raising(shell, shell.system)
        _recorder.pre_run_cell()
    return ws


def _raising(shell: Any, system: Any) -> Any:
    """IPython's `system` (what a `!` line calls), raising when the command fails."""

    def run_line(command: str) -> None:
        system(command)
        code = shell.user_ns.get("_exit_code", 0)
        if code:
            raise subprocess.CalledProcessError(code, command)

    run_line.raises = True
    return run_line


def shown() -> str:
    """What the cell before this one printed (stdout and stderr, as one text, with `\\n` lines)."""
    return _recorder.previous.replace("\r\n", "\n")


def run(command: str, cwd: str | Path | None = None) -> str:
    """Run a bash command for a check; its output (stderr joined), or an error naming it."""
    done = subprocess.run(["bash", "-c", command], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"`{command}` failed (exit {done.returncode}):\n{done.stdout}")
    return done.stdout


def dvc_json(*args: str, cwd: str | Path | None = None) -> Any:
    """`dvc <args> --json`, parsed: what a check compares."""
    return json.loads(run(" ".join(["dvc", *args, "--json"]), cwd=cwd))


def ran(log: str) -> list[str]:
    """The stages a `dvc repro` or `dvc exp run` log says it ran, in order."""
    return [line.split("'")[1] for line in log.splitlines() if line.startswith("Running stage '")]


def git_clean(cwd: str | Path | None = None) -> bool:
    """Whether git sees nothing to commit (nothing changed, nothing untracked)."""
    return run("git status --porcelain", cwd=cwd) == ""
