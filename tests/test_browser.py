"""Lesson 1 in JupyterLab, in a real (headless) browser.

What a learner does after `make lab`: JupyterLab opens at the repository root, they
open `lessons/01-introduction.ipynb`, and it comes up with the project's kernel
(`mlops-course`) already selected -- no "Select Kernel" dialog -- and its first code
cell runs. This test does the same with headless Chromium driven by Playwright:

- `tools/lab.sh` (what `make lab` runs) on 127.0.0.1, a free port, a random token, no
  browser of its own, and temporary Jupyter config/data/runtime/settings/workspace
  folders, so the learner's own Jupyter settings are neither read nor touched. Autosave is switched off, and the
  test checks that the lesson file is byte-for-byte unchanged afterwards.
- The browser is the system's: `$BROWSER_PATH`, default /usr/bin/chromium (Debian's
  `chromium` package). Nothing is downloaded. Without it the test is skipped, except
  in CI (`CI=true`), where a missing browser is a failure.
- A screenshot is saved to test-artifacts/jupyterlab-lesson1.png (git-ignored), on
  success and on failure.
"""

from __future__ import annotations

import contextlib
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

from conftest import REPO_ROOT

LESSON = "lessons/01-introduction.ipynb"
LAB_SCRIPT = REPO_ROOT / "tools" / "lab.sh"
KERNEL = "mlops-course"
KERNEL_DISPLAY = "Python 3 (mlops-course)"
ARTIFACTS = REPO_ROOT / "test-artifacts"
SCREENSHOT = ARTIFACTS / "jupyterlab-lesson1.png"
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

# Settings for the temporary JupyterLab user: no autosave (the test must not write to
# the lesson), no news or update checks (no network), no notification toasts.
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "checkForUpdates": False,
        "fetchNews": "false",
        "doNotDisturbMode": True,
    },
}


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
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
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
        ]  # fmt: skip
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")  # containers and some CI runners
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
                raise RuntimeError(f"jupyter lab exited with {self.process.returncode}")
            try:
                self.api("GET", "/api/status")
                return
            except (OSError, urllib.error.URLError):
                time.sleep(0.5)
        raise RuntimeError(f"jupyter lab not ready after {SERVER_START_TIMEOUT} s")

    def api(self, method: str, path: str, timeout: float = 5):
        request = urllib.request.Request(
            f"{self.url}{path}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
            data=b"" if method == "POST" else None,
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

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


@pytest.fixture
def jupyter_home() -> Iterator[Path]:
    home = Path(tempfile.mkdtemp(prefix="jupyterlab-test-"))
    try:
        yield home
    finally:
        shutil.rmtree(home, ignore_errors=True)


def open_notebook_and_run_first_cell(notebook: str, home: Path, screenshot: Path) -> None:
    """Open `notebook` (relative to the repository root) in JupyterLab and run its first code cell."""
    from playwright.sync_api import expect, sync_playwright

    browser_path = require_browser()
    expect.set_options(timeout=UI_TIMEOUT_MS)  # every expect() below waits this long (default: 5 s)
    path = REPO_ROOT / notebook
    cells = code_cells(path)
    assert cells, f"{notebook} has no code cell to run"
    expected = expected_outputs(cells[0])
    assert ("error", None) not in expected, f"the first code cell of {notebook} stores an error"
    before = path.read_bytes()

    lab = JupyterLab(home)
    try:
        lab.start()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=browser_path, headless=True, args=BROWSER_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.set_default_timeout(UI_TIMEOUT_MS)
                try:
                    page.goto(f"{lab.url}/lab/tree/{notebook}?token={lab.token}", wait_until="domcontentloaded")
                    panel = page.locator(".jp-NotebookPanel:visible").first
                    expect(panel).to_be_visible(timeout=UI_TIMEOUT_MS)
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

                    # Clear the stored outputs (in the browser only: autosave is off), so that
                    # what is checked below can only come from running the cell now.
                    cell = panel.locator(".jp-Notebook .jp-CodeCell").first
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
                    screenshot.parent.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(screenshot), full_page=False)
            finally:
                browser.close()
    except Exception as error:
        raise AssertionError(
            f"{type(error).__name__}: {error}\nscreenshot: {screenshot}\n--- jupyter lab log (tail) ---\n{lab.log()}"
        ) from error
    finally:
        lab.stop()
    assert path.read_bytes() == before, f"{notebook} was modified by opening it in JupyterLab"


@pytest.mark.slow
def test_lesson1_opens_with_project_kernel_and_runs(jupyter_home: Path) -> None:
    require_browser()
    lesson = REPO_ROOT / LESSON
    if not lesson.is_file():
        pytest.fail(f"{LESSON} is missing: this test opens lesson 1 in JupyterLab")
    kernelspec = json.loads(lesson.read_text(encoding="utf-8"))["metadata"].get("kernelspec", {})
    assert kernelspec.get("name") == KERNEL, f"{LESSON} metadata names kernel {kernelspec!r}"
    open_notebook_and_run_first_cell(LESSON, jupyter_home, SCREENSHOT)


def test_kernelspec_is_installed_for_jupyterlab() -> None:
    """The kernel the lessons name exists in this environment (what `make setup` installs)."""
    from jupyter_client.kernelspec import KernelSpecManager

    specs = KernelSpecManager().find_kernel_specs()
    assert KERNEL in specs, f"kernel {KERNEL!r} not installed: run `make setup` (found {sorted(specs)})"
    spec = KernelSpecManager().get_kernel_spec(KERNEL)
    assert spec.display_name == KERNEL_DISPLAY
