"""What `make check` and `make progress` share on a step branch (course/checklib.py).

A step's `course/check.py` lists its checks, each a function of a `Work` that raises `Fail`
when the learner's work is not there yet. `Work` copies the learner's files (what git
tracks or would track: `git ls-files --cached --others --exclude-standard`) into a scratch
folder and runs the step's notebook, script or `dvc repro` there, so a check never writes
in the learner's folder: not the data, not DVC's cache, not `.dvc/tmp`. Git is only read.

Written once in the course's main branch; `make steps` copies it onto every step branch.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml
from configobj import ConfigObj  # what DVC reads its config with

ANSI = re.compile(r"\x1b\[[0-9;]*m")
BIN = Path(sys.executable).parent  # the course's environment (.venv/bin), whatever PATH says
NOTEBOOK = "iris_prototype.ipynb"
METRICS = "reports/metrics.json"
# main's score and params.yaml when the steps were built (`make steps` fills in course/expected.json)
_EXPECTED = json.loads((Path(__file__).parent / "expected.json").read_text(encoding="utf-8"))
EXPECTED_F1: float = _EXPECTED["f1"]
DEFAULT_PARAMS: dict = _EXPECTED["params"]
GREEN, RED, DIM, RESET = ("\x1b[32m", "\x1b[31m", "\x1b[2m", "\x1b[0m") if sys.stdout.isatty() else ("",) * 4


class Fail(Exception):
    """A check that did not pass: Fail(what it expected, what it found, where to look)."""


@dataclass
class Check:
    title: str
    run: Callable[[Work], None]
    needs_previous: bool = True  # skipped (not run) when an earlier check failed


def check(title: str, needs_previous: bool = True) -> Callable[[Callable[[Work], None]], Check]:
    return lambda function: Check(title, function, needs_previous)


class Work:
    """The learner's work at `root` (read only) and scratch copies of it to run things in."""

    def __init__(self, root: Path, rev: str | None = None):
        self.root = root
        self.rev = rev  # a commit to check instead of the working tree (make progress)
        self.tmp = tempfile.TemporaryDirectory(prefix="course-check-")
        self.cache: dict[str, object] = {}

    def git(self, *args: str, check: bool = True) -> str:
        result = self.run(self.root, "git", *args)
        if check and result.returncode != 0:
            raise RuntimeError(f"git {' '.join(args)}: {result.stderr.strip()}")
        return result.stdout

    def read(self, path: str) -> str | None:
        """A file of the learner's work (working tree, or the commit being checked), or None."""
        if self.rev:
            result = self.run(self.root, "git", "show", f"{self.rev}:{path}")
            return result.stdout if result.returncode == 0 else None
        file = self.root / path
        return file.read_text(encoding="utf-8") if file.is_file() else None

    def copy(self, name: str, shared_cache: bool = False) -> Path:
        """A new scratch copy of the learner's files, a git repository of one commit (DVC needs git).
        DVC's cache is never the learner's: with `shared_cache`, it is the checks' own (in git's
        folder, course-check-cache), so a stage that ran in an earlier check is restored, not rerun."""
        dest = Path(self.tmp.name) / name
        dest.mkdir()
        if self.rev:
            archive = subprocess.run(["git", "archive", self.rev], cwd=self.root, capture_output=True, check=True)
            subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
        else:
            listed = self.git("ls-files", "-z", "--cached", "--others", "--exclude-standard")
            for path in sorted({p for p in listed.split("\0") if p}):
                if os.path.lexists(self.root / path):  # not when deleted in the working tree, not yet in git
                    (dest / path).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(self.root / path, dest / path, follow_symlinks=False)  # a link stays a link
            local = self.root / ".dvc" / "config.local"  # `dvc remote add --local` writes here (git ignores it)
            if local.is_file() and (dest / ".dvc").is_dir():  # (a step before DVC ignores a .dvc/ left by a later one)
                shutil.copy2(local, dest / ".dvc" / "config.local")
        if (dest / ".dvc").is_dir():  # a cache.dir of the learner's own config would be written to: never
            cache = dest / ".dvc" / "cache"
            if shared_cache:
                common = Path(self.git("rev-parse", "--git-common-dir").strip())
                cache = (self.root / common).resolve() / "course-check-cache"
            config = ConfigObj(str(dest / ".dvc" / "config.local"))
            config.setdefault("cache", {})["dir"] = str(cache)
            config.write()
        for args in (("init", "-q"), ("add", "-A"), ("commit", "-q", "--no-verify", "-m", "scratch copy")):
            subprocess.run(["git", *args], cwd=dest, env=self.env(), capture_output=True, check=True)
        return dest

    def ran(
        self, name: str, *command: str, prepare: Callable[[Path], None] | None = None, shared_cache: bool = False
    ) -> tuple[Path, subprocess.CompletedProcess]:
        """The scratch copy `name` where `command` ran, after `prepare(copy)`, and the run: once per check run."""
        if name not in self.cache:
            copy = self.copy(name, shared_cache)
            if prepare is not None:
                prepare(copy)
            self.cache[name] = (copy, self.run(copy, *command))
        return self.cache[name]

    def notebook(self, name: str, prepare: Callable[[Path], None] | None = None):
        """`ran` for iris_prototype.ipynb, executed as the README does (the executed copy goes to reports/runs/)."""
        command = ["nbconvert", "--to", "notebook", "--execute", "--KernelManager.transport=ipc", NOTEBOOK]
        return self.ran(name, str(BIN / "jupyter"), *command, "--output-dir", "reports/runs", prepare=prepare)

    def env(self, cwd: Path | None = None) -> dict[str, str]:
        # PYTHONDONTWRITEBYTECODE: nothing written beside the learner's modules either
        env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", DVC_NO_ANALYTICS="1")
        env.update(PYTHONDONTWRITEBYTECODE="1", GIT_AUTHOR_NAME="course check", GIT_COMMITTER_NAME="course check")
        env.update(GIT_AUTHOR_EMAIL="check@example.com", GIT_COMMITTER_EMAIL="check@example.com")
        if cwd is not None and (cwd / "src").is_dir():
            env["PYTHONPATH"] = str(cwd / "src")  # the branch's own package, as the README exports it
        return env

    def run(self, cwd: Path, *command: str, timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run(
            list(command), cwd=cwd, env=self.env(cwd), capture_output=True, text=True, timeout=timeout, check=False
        )


def last_error(output: str) -> str:
    """The line of a failed run that says what went wrong (a TODO left, an exception)."""
    lines = [ANSI.sub("", line).strip() for line in output.splitlines() if line.strip()]
    for line in reversed(lines):
        if "TODO (exercise)" in line and "Error" in line:
            return line
    for line in lines:
        if line.startswith("ERROR"):  # DVC's message: its first ERROR line says what failed
            return line
    for line in reversed(lines):
        if "Error" in line or line.lower().startswith("error"):
            return line
    return lines[-1] if lines else "(no output)"


def must_succeed(result: subprocess.CompletedProcess, hint: str) -> None:
    """Fail with the line that says what went wrong when a run (a notebook, a script) exited non-zero."""
    if result.returncode != 0:
        raise Fail("a run without errors", last_error(result.stderr), hint)


def score(data: object, hint: str, expected: float | None = EXPECTED_F1) -> None:
    """The content of reports/metrics.json has an "f1": `expected` (the score of the default
    params.yaml) or, with None, any F1 score (0 to 1)."""
    if not isinstance(data, dict) or "f1" not in data:
        keys = ", ".join(map(repr, data)) if isinstance(data, dict) else type(data).__name__
        raise Fail(f'{METRICS}: a key "f1"', f"keys: {keys or 'none'}", hint)
    found = data["f1"]
    if isinstance(found, bool) or not isinstance(found, int | float):
        raise Fail(f"{METRICS}: f1 a number", repr(found), hint)
    if expected is None and not 0 <= found <= 1:
        raise Fail("an F1 score between 0 and 1", str(found), hint)
    if expected is not None and abs(found - expected) > 5e-7:
        raise Fail(f"{METRICS}: f1 = {expected} (the score of the default params.yaml)", f"f1 = {found}", hint)


def metrics_f1(copy: Path, hint: str, missing: str = "", expected: float | None = EXPECTED_F1, what="") -> None:
    """reports/metrics.json in `copy` holds the F1 score `expected` (see score); `missing`: the
    hint when the file is not there or not JSON (default: `hint`); `what`: said of the file."""
    path, missing = copy / METRICS, missing or hint
    if not path.is_file():
        raise Fail(METRICS + what, "no such file", missing)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as err:
        raise Fail(f"{METRICS}{what} as JSON", f"not JSON ({err})", missing) from None
    score(data, hint, expected)


def expected_f1(work: Work) -> float | None:
    """The default params' score when the learner's params.yaml is the default one, else None (any score)."""
    return EXPECTED_F1 if yaml.safe_load(work.read("params.yaml") or "") == DEFAULT_PARAMS else None


def png_size(path: Path, hint: str = "", least: int = 0) -> None:
    """A PNG file at `path` (its header says so) of at least `least` x `least` pixels, or Fail."""
    data = path.read_bytes()[:24] if path.is_file() else b""
    if not data:
        raise Fail(f"a picture at {path.name}", "no such file", hint)
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise Fail(f"{path.name}: a PNG image", f"a file starting with {data[:8]!r}", hint)
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if min(width, height) < least:
        raise Fail(f"a picture of at least {least} x {least} pixels", f"{width} x {height}", hint)


HINT_REPRO = "run `dvc repro` yourself and read its error; `dvc dag` shows how the stages connect"


def reproduced(work: Work) -> Path:
    """A scratch copy where `dvc repro` ran (once per check run)."""
    copy, result = work.ran("repro", "dvc", "repro", shared_cache=True)
    if result.returncode != 0:
        raise Fail("`dvc repro` to run the pipeline", last_error(result.stderr + result.stdout), HINT_REPRO)
    return copy


def dvc_json(work: Work, copy: Path, *args: str) -> object:
    result = work.run(copy, "dvc", *args, "--json")
    if result.returncode != 0:
        raise Fail(f"`dvc {' '.join(args)}` to work", last_error(result.stderr), HINT_REPRO)
    return json.loads(result.stdout)


def tracked_by_git(work: Work, path: str, hint: str) -> None:
    """After `dvc repro`, DVC lists each cached output in a .gitignore: one with `cache: false` it leaves to git."""
    if work.run(reproduced(work), "git", "check-ignore", "-q", "--no-index", path).returncode == 0:
        raise Fail(f"{path} tracked by git (cache: false)", "DVC caches it and git ignores it", hint)


def run_checks(step: str, checks: list[Check], root: Path | None = None, rev: str | None = None, out=None) -> bool:
    """Run a step's checks on the learner's work; print one line each; True when all pass."""
    out = out or sys.stdout
    root = root or Path(subprocess.check_output(["git", "rev-parse", "--show-toplevel"], text=True).strip())
    work = Work(root, rev)
    what = f"commit {rev}" if rev else str(root)
    print(f"Checking {step} ({what}); your files are copied, not changed", file=out, flush=True)
    failed = None
    passed = 0
    try:
        for item in checks:
            if failed is not None and item.needs_previous:
                print(f"  {DIM}[skip]{RESET} {item.title}  (needs: {failed})", file=out)
                continue
            try:
                item.run(work)
            except Fail as fail:
                failed = failed or item.title
                print(f"  {RED}[FAIL]{RESET} {item.title}", file=out)
                for label, text in zip(("expected:", "found:", "hint:"), fail.args, strict=True):
                    if text or label != "hint:":
                        print(f"         {label:9} {text}", file=out)
            except Exception:  # a bug of the check itself, not the learner's: say so
                failed = failed or item.title
                print(f"  {RED}[ERROR]{RESET} {item.title}: the check itself failed:", file=out)
                print("         " + traceback.format_exc().strip().replace("\n", "\n         "), file=out)
            else:
                passed += 1
                print(f"  {GREEN}[ ok ]{RESET} {item.title}", file=out, flush=True)
    finally:
        work.tmp.cleanup()
    done = passed == len(checks)
    verdict = "done: every check passed" if done else f"not done yet: {passed} of {len(checks)} checks passed"
    print(f"{step}: {verdict}", file=out)
    return done


def main(step: str, checks: list[Check]) -> int:
    return 0 if run_checks(step, checks) else 1
