"""JupyterLab as `make lab` starts it, in a real (headless) browser; and `make lab` itself.

What a learner does after `make lab`: JupyterLab opens at the repository root, they
open `lessons/01-introduction.ipynb`, and it comes up with the project's kernel
(`mlops-course`) already selected -- no "Select Kernel" dialog -- and its first code
cell runs. Opening a lesson and saving it (autosave does, after two minutes) leaves the
file byte for byte as committed, so `git status` stays clean and `git switch` works
(workbook.jupyter_save, which `make setup` configures). These tests do the same with
headless Chromium driven by Playwright:

- One JupyterLab server for the module (a module-scoped fixture): `tools/lab.sh` (what
  `make lab` runs, as root too), with no `.venv/bin` on PATH (nothing activated), on
  127.0.0.1, a free port, a random token, no browser of its own, and temporary Jupyter
  config/data/runtime/settings/workspace folders, so the learner's own Jupyter settings
  are neither read nor touched. JupyterLab's settings are its defaults (autosave on),
  except no news or update checks (no network) and no notification toasts.
- The browser is the system's: `$BROWSER_PATH`, default /usr/bin/chromium (Debian's
  `chromium` package). Nothing is downloaded. Without it the browser tests are skipped,
  except in CI (`CI=true`), where a missing browser is a failure.
- Screenshots are saved to test-artifacts/ (git-ignored), on success and on failure.

`tools/lab.sh` alone: `--allow-root` only as root (checked with a stub `jupyter` in a
copy of the script, as root and as the user `nobody`: this machine's Python is not
readable by other users), extra arguments passed on (`make lab ARGS=...`), and a clear
error without `.venv`.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import REPO_ROOT, run

LESSON = "lessons/01-introduction.ipynb"
LAB_SCRIPT = REPO_ROOT / "tools" / "lab.sh"
VENV_BIN = REPO_ROOT / ".venv" / "bin"
KERNEL = "mlops-course"
KERNEL_DISPLAY = "Python 3 (mlops-course)"
ARTIFACTS = REPO_ROOT / "test-artifacts"
BROWSER_PATH = os.environ.get("BROWSER_PATH", "/usr/bin/chromium")
BROWSER_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERVER_START_TIMEOUT = 90  # s: JupyterLab on a busy 2-core machine
UI_TIMEOUT_MS = 90_000  # page load, kernel start, one cell
IN_CI = os.environ.get("CI", "").lower() == "true"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0

# Settings for the temporary JupyterLab user: JupyterLab's defaults (autosave included),
# except no news or update checks (no network) and no notification toasts.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "checkForUpdates": False,
        "fetchNews": "false",
        "doNotDisturbMode": True,
    },
}
DOCMANAGER = "@jupyterlab/docmanager-extension:plugin"  # autosave, autosaveInterval (120 s)


def path_without_this_environment() -> str:
    """PATH without .venv/bin: `make lab` must work without activating anything."""
    ours = {VENV_BIN.resolve(), Path(sys.executable).parent.resolve()}
    entries = os.environ.get("PATH", "").split(os.pathsep)
    return os.pathsep.join(entry for entry in entries if entry and Path(entry).resolve() not in ours)


def require_browser() -> str:
    """The browser executable; skip (locally) or fail (CI) when it is missing."""
    if Path(BROWSER_PATH).is_file() and os.access(BROWSER_PATH, os.X_OK):
        return BROWSER_PATH
    message = (
        f"no browser at {BROWSER_PATH} (set BROWSER_PATH, or install Debian's chromium: apt-get install -y chromium)"
    )
    if IN_CI:
        pytest.fail(f"CI=true but {message}")
    pytest.skip(message)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def code_cells(notebook: Path) -> list[dict]:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return [cell for cell in cells if cell["cell_type"] == "code"]


def joined(text: str | list[str]) -> str:
    return "".join(text) if isinstance(text, list) else text


def first_line(text: str) -> str | None:
    return next((line.strip() for line in text.splitlines() if line.strip()), None)


def expected_outputs(cell: dict) -> list[tuple[str, str | None]]:
    """What each stored output of `cell` shows in JupyterLab: ("text", a line) or ("image", None)."""
    expected = []
    for output in cell.get("outputs", []):
        kind = output["output_type"]
        if kind == "stream":
            expected.append(("text", first_line(joined(output["text"]))))
        elif kind in ("execute_result", "display_data"):
            data = output.get("data", {})
            if any(mime.startswith("image/") for mime in data):
                expected.append(("image", None))
            elif "text/html" in data:
                expected.append(("html", None))
            else:
                expected.append(("text", first_line(joined(data.get("text/plain", "")))))
        else:
            expected.append(("error", None))
    return expected


class JupyterLab:
    """A `jupyter lab` server process with its own throwaway Jupyter home."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.port = free_port()
        self.token = secrets.token_hex(24)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = home / "jupyterlab.log"
        self.process: subprocess.Popen | None = None

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        for name, sub in [
            ("JUPYTER_CONFIG_DIR", "config"),
            ("JUPYTER_DATA_DIR", "data"),
            ("JUPYTER_RUNTIME_DIR", "runtime"),
            ("JUPYTERLAB_SETTINGS_DIR", "lab-settings"),
            ("JUPYTERLAB_WORKSPACES_DIR", "lab-workspaces"),
            ("IPYTHONDIR", "ipython"),
        ]:
            path = self.home / sub
            path.mkdir(parents=True, exist_ok=True)
            env[name] = str(path)
        env["JUPYTER_PLATFORM_DIRS"] = "1"
        env.pop("JUPYTER_PATH", None)
        env.pop("JUPYTER_CONFIG_PATH", None)
        env["PATH"] = path_without_this_environment()
        env.pop("VIRTUAL_ENV", None)
        return env

    def write_settings(self) -> None:
        for relative, values in LAB_SETTINGS.items():
            path = self.home / "lab-settings" / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values), encoding="utf-8")

    def start(self) -> None:
        env = self.env()
        self.write_settings()
        command = [
            str(LAB_SCRIPT),  # what `make lab` runs
            "--ip=127.0.0.1",
            f"--port={self.port}",
            "--port-retries=0",
            "--no-browser",
            f"--IdentityProvider.token={self.token}",
            "--LabApp.news_url=",
            # Checkpoints (JupyterLab makes one when it opens a file) go to the temporary home.
            f"--FileCheckpoints.checkpoint_dir={self.home / 'checkpoints'}",
        ]  # fmt: skip  (no --allow-root: lab.sh adds it as root, as in containers and some CI runners)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopped as a whole
            )
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.process.returncode}\n{self.log()}")
            try:
                self.api("GET", "/api/status")
                return
            except (OSError, urllib.error.URLError):
                time.sleep(0.5)
        raise RuntimeError(f"jupyter lab not ready after {SERVER_START_TIMEOUT} s\n{self.log()}")

    def api(self, method: str, path: str, body: dict | None = None, timeout: float = 5):
        request = urllib.request.Request(
            f"{self.url}{path}",
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
            data=json.dumps(body).encode() if body is not None else (b"" if method in ("POST", "PUT") else None),
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def set_settings(self, plugin: str, values: dict) -> None:
        """Set a plugin's user settings through JupyterLab's settings API (pages opened later read them)."""
        self.api("PUT", f"/lab/api/settings/{plugin}", {"raw": json.dumps(values)})

    def last_modified(self, path: str) -> str:
        return self.api("GET", f"/api/contents/{path}?content=0")["last_modified"]

    def close_sessions(self) -> None:
        """Shut down every kernel session, so the next test starts from a fresh kernel."""
        for session in self.api("GET", "/api/sessions"):
            self.api("DELETE", f"/api/sessions/{session['id']}")

    def wait_for_session(self, notebook: str, timeout: float = UI_TIMEOUT_MS / 1000) -> str:
        """The kernel name of the notebook's session, once JupyterLab has started one."""
        deadline = time.monotonic() + timeout
        sessions = []
        while time.monotonic() < deadline:
            sessions = self.api("GET", "/api/sessions")
            for session in sessions:
                if session["path"] == notebook and session.get("kernel"):
                    return session["kernel"]["name"]
            time.sleep(0.5)
        raise AssertionError(f"no kernel session for {notebook} after {timeout:.0f} s: {sessions}")

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-5000:]
        except OSError:
            return ""

    def stop(self) -> None:
        """Shut down kernels and server politely, then by signal if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(OSError, urllib.error.URLError):
            self.api("POST", "/api/shutdown")
        try:
            self.process.wait(timeout=20)
            return
        except subprocess.TimeoutExpired:
            pass
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(timeout=10)
                return
            except subprocess.TimeoutExpired:
                continue


@pytest.fixture(scope="module")
def lab() -> Iterator[JupyterLab]:
    """One JupyterLab server, started by tools/lab.sh, for the module's browser tests."""
    require_browser()
    home = Path(tempfile.mkdtemp(prefix="jupyterlab-test-"))
    server = JupyterLab(home)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def browser(lab: JupyterLab):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=require_browser(), headless=True, args=BROWSER_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@contextlib.contextmanager
def opened_notebook(lab: JupyterLab, browser, notebook: str, screenshot: Path):
    """A new page with `notebook` open and its kernel idle: yields (page, notebook panel).

    Checks on the way that the kernel named in the notebook's metadata started by itself,
    with no kernel-selection dialog. On any failure, the assertion shows the screenshot's
    path and the server log; the kernel session is shut down afterwards.
    """
    from playwright.sync_api import expect

    expect.set_options(timeout=UI_TIMEOUT_MS)  # every expect() below waits this long (default: 5 s)
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.set_default_timeout(UI_TIMEOUT_MS)
    try:
        page.goto(f"{lab.url}/lab/tree/{notebook}?token={lab.token}", wait_until="domcontentloaded")
        panel = page.locator(".jp-NotebookPanel:visible").first
        expect(panel).to_be_visible()
        # Wait until a kernel is idle or a dialog asks for one: there must be no dialog.
        dialog = page.locator(".jp-Dialog")
        idle = page.locator("#jp-main-statusbar", has_text="| Idle")
        expect(dialog.or_(idle).first).to_be_visible()
        if dialog.count():
            raise AssertionError(f"JupyterLab shows a dialog: {dialog.first.inner_text()!r}")
        # The kernel named in the notebook's metadata started by itself ...
        kernel = lab.wait_for_session(notebook)
        assert kernel == KERNEL, f"{notebook} started kernel {kernel!r}, not {KERNEL!r}"
        expect(panel.locator(".jp-Toolbar-kernelName")).to_contain_text(KERNEL_DISPLAY)
        expect(page.locator("#jp-main-statusbar")).to_contain_text(f"{KERNEL_DISPLAY} | Idle")
        # ... with no kernel-selection dialog on the way.
        expect(page.locator(".jp-Dialog")).to_have_count(0)
        yield page, panel
    except Exception as error:
        raise AssertionError(
            f"{type(error).__name__}: {error}\nscreenshot: {screenshot}\n--- jupyter lab log (tail) ---\n{lab.log()}"
        ) from error
    finally:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(Exception):
            page.screenshot(path=str(screenshot), full_page=False)
        page.close()
        with contextlib.suppress(OSError, urllib.error.URLError):
            lab.close_sessions()


def git_status(path: str) -> str:
    return run(["git", "status", "--porcelain", "--", path], REPO_ROOT).stdout


@pytest.mark.slow
def test_lesson1_opened_and_saved_stays_as_committed(lab: JupyterLab, browser) -> None:
    """Open lesson 1 with JupyterLab's default settings (autosave on), save it: not a byte changes."""
    path = REPO_ROOT / LESSON
    before, status_before = path.read_bytes(), git_status(LESSON)
    try:
        with opened_notebook(lab, browser, LESSON, ARTIFACTS / "jupyterlab-lesson1-saved.png") as (page, panel):
            saved_at = lab.last_modified(LESSON)
            # Save as a learner does (autosave would, two minutes after a change): Ctrl+S.
            panel.locator(".jp-Notebook").first.click()
            page.keyboard.press("Control+s")
            deadline = time.monotonic() + UI_TIMEOUT_MS / 1000
            while lab.last_modified(LESSON) == saved_at:
                assert time.monotonic() < deadline, f"{LESSON} was not saved within {UI_TIMEOUT_MS // 1000} s"
                time.sleep(0.2)
        after = path.read_bytes()
        assert after == before, f"saving {LESSON} in JupyterLab changed it:\n" + "".join(
            difflib.unified_diff(before.decode().splitlines(True), after.decode().splitlines(True), n=1)
        )
        assert git_status(LESSON) == status_before
    finally:
        if path.read_bytes() != before:
            path.write_bytes(before)  # leave the checkout as it was, also when the test fails


@pytest.mark.slow
def test_lesson1_opens_with_project_kernel_and_runs(lab: JupyterLab, browser) -> None:
    """Open lesson 1: the project's kernel, no dialog; its first code cell runs and shows the stored outputs."""
    from playwright.sync_api import expect

    path = REPO_ROOT / LESSON
    kernelspec = json.loads(path.read_text(encoding="utf-8"))["metadata"].get("kernelspec", {})
    assert kernelspec.get("name") == KERNEL, f"{LESSON} metadata names kernel {kernelspec!r}"
    cells = code_cells(path)
    # The first code cell a learner sees: collapsed cells (a drawing, a check) show no editor.
    first = next((i for i, c in enumerate(cells) if not c["metadata"].get("jupyter", {}).get("source_hidden")), None)
    assert first is not None, f"{LESSON} has no visible code cell to run"
    expected = expected_outputs(cells[first])
    assert ("error", None) not in expected, f"the first visible code cell of {LESSON} stores an error"
    collapsed = [i for i, c in enumerate(cells) if c["metadata"].get("jupyter", {}).get("source_hidden")]
    before = path.read_bytes()
    # This test clears the outputs in the browser: autosave off, so the file is never written.
    lab.set_settings(DOCMANAGER, {"autosave": False})
    try:
        with opened_notebook(lab, browser, LESSON, ARTIFACTS / "jupyterlab-lesson1.png") as (page, panel):
            # Clear the stored outputs (in the browser only), so that what is checked below
            # can only come from running the cell now.
            code = panel.locator(".jp-Notebook .jp-CodeCell")
            cell = code.nth(first)
            # Collapsed cells show JupyterLab's placeholder, not their source.
            for index in collapsed:
                expect(code.nth(index).locator(".jp-InputPlaceholder")).to_have_count(1)
            page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Edit$")).click()
            page.locator(".lm-Menu-itemLabel", has_text="Clear Outputs of All Cells").click()
            expect(cell.locator(".jp-InputArea-prompt")).to_have_text(re.compile(r"^\[\s*\]:$"))
            expect(cell.locator(".jp-OutputArea-output")).to_have_count(0)

            # Run the first code cell as a learner does: click into it, Shift+Enter.
            cell.locator(".jp-InputArea-editor").click()
            page.keyboard.press("Shift+Enter")
            expect(cell.locator(".jp-InputArea-prompt")).to_contain_text("[1]")
            # The same outputs as stored in the notebook, rendered.
            outputs = cell.locator(".jp-OutputArea-output")
            expect(outputs).to_have_count(len(expected))
            for index, (kind, text) in enumerate(expected):
                output = outputs.nth(index)
                if kind == "image":
                    expect(output.locator("img")).to_be_visible()
                elif kind == "text" and text:
                    expect(output).to_contain_text(text)
            expect(page.locator(".jp-Dialog")).to_have_count(0)
            cell.scroll_into_view_if_needed()
    finally:
        lab.set_settings(DOCMANAGER, {})
    assert path.read_bytes() == before, f"{LESSON} was modified by opening it in JupyterLab"


@pytest.mark.slow
def test_lesson1_solution_stays_hidden_until_the_learner_opens_it(lab: JupyterLab, browser) -> None:
    """The exercise's solution sits under a `### Solution` heading stored collapsed: JupyterLab
    shows the heading and a button for the hidden cells, not the solution; the button shows it."""
    from playwright.sync_api import expect

    cells = json.loads((REPO_ROOT / LESSON).read_text(encoding="utf-8"))["cells"]
    heading = next(i for i, c in enumerate(cells) if joined(c["source"]).startswith("### Solution"))
    assert cells[heading]["metadata"].get("jp-MarkdownHeadingCollapsed") is True
    solution = cells[heading + 1]
    assert solution["cell_type"] == "code" and "solution" in solution["metadata"].get("tags", [])
    marker = first_line(joined(solution["source"]))
    before = (REPO_ROOT / LESSON).read_bytes()
    lab.set_settings(DOCMANAGER, {"autosave": False})  # clicking the button changes the metadata
    try:
        with opened_notebook(lab, browser, LESSON, ARTIFACTS / "jupyterlab-lesson1-solution.png") as (page, panel):
            title = panel.locator(".jp-MarkdownCell", has=page.locator("h3", has_text="Solution"))
            expect(title).to_have_count(1)
            title.scroll_into_view_if_needed()
            code = panel.locator(".jp-CodeCell", has_text=marker)
            expect(code).to_have_count(1)
            expect(code).to_be_hidden()
            button = title.locator(".jp-showHiddenCellsButton")
            expect(button).to_be_visible()
            button.click()
            expect(code).to_be_visible()
    finally:
        lab.set_settings(DOCMANAGER, {})
    assert (REPO_ROOT / LESSON).read_bytes() == before, f"{LESSON} was modified by opening its solution"


def test_kernelspec_is_installed_for_jupyterlab() -> None:
    """The kernel the lessons name exists in this environment (what `make setup` installs)."""
    from jupyter_client.kernelspec import KernelSpecManager

    specs = KernelSpecManager().find_kernel_specs()
    assert KERNEL in specs, f"kernel {KERNEL!r} not installed: run `make setup` (found {sorted(specs)})"
    spec = KernelSpecManager().get_kernel_spec(KERNEL)
    assert spec.display_name == KERNEL_DISPLAY


# `make lab` and tools/lab.sh, without a browser.

# A stand-in for .venv/bin/jupyter: prints the folder it runs in and its arguments, one a line.
STUB_JUPYTER = '#!/bin/sh\necho "cwd=$PWD"\nprintf "%s\\n" "$@"\n'


@pytest.fixture
def lab_script_copy() -> Iterator[Path]:
    """tools/lab.sh in a throwaway checkout whose .venv/bin/jupyter is STUB_JUPYTER (readable by any user)."""
    root = Path(tempfile.mkdtemp(prefix="lab-sh-"))
    try:
        (root / "tools").mkdir()
        shutil.copy2(LAB_SCRIPT, root / "tools" / "lab.sh")
        bin_dir = root / ".venv" / "bin"
        bin_dir.mkdir(parents=True)
        (bin_dir / "jupyter").write_text(STUB_JUPYTER)
        for path in (root, *root.rglob("*")):
            path.chmod(0o755)
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def lab_script_env() -> dict[str, str]:
    env = {**os.environ, "PATH": path_without_this_environment()}
    env.pop("VIRTUAL_ENV", None)
    return env


@pytest.mark.parametrize("user", ["this user", "nobody"])
def test_lab_sh_adds_allow_root_only_as_root_and_passes_arguments(lab_script_copy: Path, user: str) -> None:
    command = [str(lab_script_copy / "tools" / "lab.sh"), "--no-browser", "--port", "8899"]
    if user != "this user":
        if not IS_ROOT:
            pytest.skip("running the script as another user needs root")
        command = ["runuser", "-u", user, "--", *command]
    result = run(command, Path(tempfile.gettempdir()), lab_script_env())  # from another folder
    cwd, *args = result.stdout.splitlines()
    assert cwd == f"cwd={lab_script_copy}", "lab.sh runs jupyter from the repository root"
    as_root = IS_ROOT and user == "this user"
    assert args[0] == "lab" and "--notebook-dir=." in args, args
    assert "--MappingKernelManager.default_kernel_name=mlops-course" in args, args
    assert ("--allow-root" in args) == as_root, f"as {user} (root: {as_root}): {args}"
    assert args[-3:] == ["--no-browser", "--port", "8899"], args


def test_lab_sh_without_the_environment_says_to_run_make_setup(lab_script_copy: Path) -> None:
    shutil.rmtree(lab_script_copy / ".venv")
    result = run([str(lab_script_copy / "tools" / "lab.sh")], lab_script_copy, lab_script_env(), check=False)
    assert result.returncode == 1, result
    assert result.stderr == (
        f"error: {lab_script_copy}/.venv/bin/jupyter not found: "
        "run `make setup` first (it creates .venv with JupyterLab)\n"
    )


def test_lab_sh_starts_this_environments_jupyter_lab(tmp_path: Path) -> None:
    """The real script and JupyterLab, without activating .venv: `--show-config` prints what it would run with."""
    env = lab_script_env()
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR"):
        env[name] = str(tmp_path / name.lower())
    result = run([str(LAB_SCRIPT), "--show-config", "--no-browser", "--port=8899"], tmp_path, env)
    shown = result.stdout
    assert ".port = 8899" in shown and ".root_dir = '.'" in shown and ".open_browser = False" in shown, shown
    assert ".default_kernel_name = 'mlops-course'" in shown, shown
    assert (".allow_root = True" in shown) == IS_ROOT, shown


def test_make_lab_passes_args_to_lab_sh() -> None:
    result = run(["make", "--dry-run", "lab", "ARGS=--no-browser --port 8899"], REPO_ROOT)
    assert "tools/lab.sh --no-browser --port 8899" in result.stdout.splitlines(), result.stdout
