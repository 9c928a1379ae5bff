"""JupyterLab as `make lab` starts it (tools/lab.sh, as root too, nothing activated), with
throwaway Jupyter folders and no news, update checks or toasts, in headless Chromium: lesson 1
opens with the project's kernel and no dialog, runs, hides its solution until asked, and saving
leaves it as committed (workbook.jupyter_save). lab.sh alone runs with a stub `jupyter`.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from jupyter_server.serverapp import list_running_servers

from conftest import ARTIFACTS, REPO_ROOT, chromium, run
from workbook.run_lessons import KERNEL

LESSON = "lessons/01-introduction.ipynb"
LAB_SCRIPT = REPO_ROOT / "tools" / "lab.sh"
KERNEL_DISPLAY = f"Python 3 ({KERNEL})"
TIMEOUT = 90  # s: server start, page load, kernel start, one cell, on a busy 2-core machine
IS_ROOT = os.geteuid() == 0
NOTIFICATIONS = "@jupyterlab/apputils-extension/notification.jupyterlab-settings"
JUPYTER_DIRS = ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR")
LAB_DIRS = ("JUPYTERLAB_SETTINGS_DIR", "JUPYTERLAB_WORKSPACES_DIR")


def env_without_this_environment() -> dict[str, str]:
    """os.environ without .venv/bin on PATH: `make lab` must work without activating anything."""
    ours = {(REPO_ROOT / ".venv" / "bin").resolve(), Path(sys.executable).parent.resolve()}
    entries = os.environ.get("PATH", "").split(os.pathsep)
    env = {**os.environ, "PATH": os.pathsep.join(e for e in entries if e and Path(e).resolve() not in ours)}
    env.pop("VIRTUAL_ENV", None)
    return env


def first_line(text: str) -> str | None:
    return next((line.strip() for line in text.splitlines() if line.strip()), None)


class JupyterLab:
    """`jupyter lab` started by tools/lab.sh on a free port, with its own throwaway Jupyter home."""

    def __init__(self, home: Path) -> None:
        env = {**env_without_this_environment(), "JUPYTER_PLATFORM_DIRS": "1"}
        for name in ("JUPYTER_PATH", "JUPYTER_CONFIG_PATH"):
            env.pop(name, None)
        for name in JUPYTER_DIRS + LAB_DIRS:
            env[name] = str(home / name.lower())
            (home / name.lower()).mkdir()
        settings = home / "jupyterlab_settings_dir" / NOTIFICATIONS
        settings.parent.mkdir(parents=True)
        settings.write_text(json.dumps({"checkForUpdates": False, "fetchNews": "false", "doNotDisturbMode": True}))
        self.runtime_dir, self.log_path = env["JUPYTER_RUNTIME_DIR"], home / "lab.log"
        checkpoints = f"--FileCheckpoints.checkpoint_dir={home / 'checkpoints'}"  # made when a file opens
        command = [str(LAB_SCRIPT), "--ip=127.0.0.1", "--port=0", "--no-browser", "--LabApp.news_url=", checkpoints]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip

    def connect(self, browser) -> None:
        """Once the server listens, as jupyter_server's own server file says: its url, token and API."""
        info = self.wait_for(lambda: next(list_running_servers(self.runtime_dir), None), "jupyter lab")
        self.url, self.token, self.browser = info["url"], info["token"], browser
        auth = {"Authorization": f"token {self.token}"}
        self.api = browser.new_context(base_url=self.url, extra_http_headers=auth).request

    def kernel(self) -> str | None:
        """The kernel of lesson 1's session, once JupyterLab has started one."""
        sessions = self.api.get("api/sessions").json()
        return next((s["kernel"]["name"] for s in sessions if s["path"] == LESSON and s.get("kernel")), None)

    def wait_for(self, condition, what: str):
        """Poll `condition` until it returns something true, which it returns, while the server runs."""
        deadline = time.monotonic() + TIMEOUT
        while not (result := condition()):
            assert self.process.poll() is None, f"jupyter lab exited with {self.process.returncode}\n{self.log()}"
            assert time.monotonic() < deadline, f"no {what} after {TIMEOUT} s\n{self.log()}"
            time.sleep(0.3)
        return result

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-5000:]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    """The server, its `browser` a Chromium for the module; SIGTERM shuts down kernels and server."""
    with chromium() as browser:
        server = JupyterLab(tmp_path_factory.mktemp("jupyterlab"))
        try:
            server.connect(browser)
            yield server
        finally:
            server.process.terminate()
            try:
                server.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.process.pid, signal.SIGKILL)
                server.process.wait()


@contextlib.contextmanager
def opened_lesson(lab: JupyterLab, screenshot: str):
    """A new page with lesson 1 open, its kernel (the one its metadata names) started by itself,
    no dialog: (page, notebook panel). After: the file byte for byte as before (put back if not)."""
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT * 1000)
    path = REPO_ROOT / LESSON
    before = path.read_bytes()
    page = lab.browser.new_page(viewport={"width": 1400, "height": 900})
    page.set_default_timeout(TIMEOUT * 1000)
    try:
        page.goto(f"{lab.url}lab/tree/{LESSON}?token={lab.token}", wait_until="domcontentloaded")
        panel = page.locator(".jp-NotebookPanel:visible").first
        expect(panel).to_be_visible()
        dialog = page.locator(".jp-Dialog")
        expect(dialog.or_(page.locator("#jp-main-statusbar", has_text="| Idle")).first).to_be_visible()
        assert not dialog.count(), f"JupyterLab shows a dialog: {dialog.first.inner_text()!r}"
        assert lab.wait_for(lab.kernel, f"kernel session for {LESSON}") == KERNEL
        expect(panel.locator(".jp-Toolbar-kernelName")).to_contain_text(KERNEL_DISPLAY)
        expect(page.locator("#jp-main-statusbar")).to_contain_text(f"{KERNEL_DISPLAY} | Idle")
        expect(dialog).to_have_count(0)
        yield page, panel
    except Exception as error:
        raise AssertionError(f"{error}\nscreenshot: {ARTIFACTS / screenshot}\n--- log ---\n{lab.log()}") from error
    finally:
        with contextlib.suppress(Exception):
            page.screenshot(path=str(ARTIFACTS / screenshot))
        page.close()
        after = path.read_bytes()
        if after != before:
            path.write_bytes(before)
    diff = difflib.unified_diff(before.decode().splitlines(True), after.decode().splitlines(True), n=1)
    assert after == before, f"{LESSON} changed in JupyterLab:\n{''.join(diff)}"


@pytest.mark.slow
def test_lesson1_saved_stays_as_committed_runs_and_hides_its_solution(lab: JupyterLab) -> None:
    """With JupyterLab's default settings (autosave on), saved as a learner does (Ctrl+S). Then,
    autosave off (the Settings menu: what follows changes the notebook), its first visible code
    cell, outputs cleared, runs and shows the stored outputs; the solution under its `### Solution`
    heading (stored collapsed) is hidden behind a button for the hidden cells, which shows it."""
    from playwright.sync_api import expect

    nb = nbformat.read(REPO_ROOT / LESSON, as_version=4)
    cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    collapsed = [i for i, c in enumerate(cells) if c.metadata.get("jupyter", {}).get("source_hidden")]
    first = next(i for i in range(len(cells)) if i not in collapsed)
    expected = []  # (an image?, the first line of its text, if any) of each stored output
    for output in cells[first].outputs:
        data = output.get("data", {})
        text = "" if "text/html" in data else output.get("text") or data.get("text/plain", "")
        expected.append((any(mime.startswith("image/") for mime in data), first_line(text)))
    heading = next(i for i, c in enumerate(nb.cells) if c.source.startswith("### Solution"))
    with opened_lesson(lab, "jupyterlab-lesson1.png") as (page, panel):
        saved_at = (REPO_ROOT / LESSON).stat().st_mtime_ns
        panel.locator(".jp-Notebook").first.click()
        page.keyboard.press("Control+s")
        lab.wait_for(lambda: (REPO_ROOT / LESSON).stat().st_mtime_ns != saved_at, f"save of {LESSON}")
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Settings$")).click()
        page.locator(".lm-Menu-itemLabel", has_text="Autosave Documents").click()
        settings = "lab/api/settings/@jupyterlab/docmanager-extension:plugin"
        lab.wait_for(lambda: lab.api.get(settings).json()["settings"].get("autosave") is False, "autosave off")
        code = panel.locator(".jp-Notebook .jp-CodeCell")
        for index in collapsed:  # JupyterLab's placeholder, not their source
            expect(code.nth(index).locator(".jp-InputPlaceholder")).to_have_count(1)
        cell = code.nth(first)
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Edit$")).click()
        page.locator(".lm-Menu-itemLabel", has_text="Clear Outputs of All Cells").click()
        expect(cell.locator(".jp-InputArea-prompt")).to_have_text(re.compile(r"^\[\s*\]:$"))
        expect(cell.locator(".jp-OutputArea-output")).to_have_count(0)
        cell.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")
        expect(cell.locator(".jp-InputArea-prompt")).to_contain_text("[1]")
        outputs = cell.locator(".jp-OutputArea-output")
        expect(outputs).to_have_count(len(expected))
        for index, (image, text) in enumerate(expected):
            if image:
                expect(outputs.nth(index).locator("img")).to_be_visible()
            elif text:
                expect(outputs.nth(index)).to_contain_text(text)
        expect(page.locator(".jp-Dialog")).to_have_count(0)
        title = panel.locator(".jp-MarkdownCell", has=page.locator("h3", has_text="Solution"))
        expect(title).to_have_count(1)
        title.scroll_into_view_if_needed()
        hidden = panel.locator(".jp-CodeCell", has_text=first_line(nb.cells[heading + 1].source))
        expect(hidden).to_have_count(1)
        expect(hidden).to_be_hidden()
        title.locator(".jp-showHiddenCellsButton").click()
        expect(hidden).to_be_visible()


@pytest.fixture
def lab_script_copy() -> Iterator[Path]:
    """tools/lab.sh in a throwaway checkout (not under pytest's own, private, temporary folder)
    whose .venv/bin/jupyter, readable by any user, prints the folder it runs in and its arguments."""
    with tempfile.TemporaryDirectory(prefix="lab-sh-") as name:
        root = Path(name)
        (root / "tools").mkdir()
        shutil.copy2(LAB_SCRIPT, root / "tools" / "lab.sh")
        (root / ".venv" / "bin").mkdir(parents=True)
        (root / ".venv" / "bin" / "jupyter").write_text('#!/bin/sh\necho "cwd=$PWD"\nprintf "%s\\n" "$@"\n')
        for path in (root, *root.rglob("*")):
            path.chmod(0o755)
        yield root


@pytest.mark.parametrize("case", ["as this user", "as nobody", "without .venv"])
def test_lab_sh_runs_jupyter_lab_from_the_root_with_allow_root_only_as_root(lab_script_copy: Path, case) -> None:
    """Run from another folder: jupyter from the copy's root with the arguments after lab.sh's
    own; without .venv, a one-line error that says to run `make setup`."""
    command = [str(lab_script_copy / "tools" / "lab.sh"), "--no-browser", "--port", "8899"]
    root = ["--allow-root"] if IS_ROOT and case == "as this user" else []
    kernel = f"--MappingKernelManager.default_kernel_name={KERNEL}"
    args = [f"cwd={lab_script_copy}", "lab", "--notebook-dir=.", kernel, *root, "--no-browser", "--port", "8899"]
    wanted = (0, "\n".join(args) + "\n", "")
    if case == "as nobody":
        if not IS_ROOT:
            pytest.skip("running the script as another user needs root")
        command = ["runuser", "-u", "nobody", "--", *command]
    if case == "without .venv":
        shutil.rmtree(lab_script_copy / ".venv")
        error = "not found: run `make setup` first (it creates .venv with JupyterLab)"
        wanted = (1, "", f"error: {lab_script_copy}/.venv/bin/jupyter {error}\n")
    result = run(command, Path(tempfile.gettempdir()), env_without_this_environment(), check=False)
    assert (result.returncode, result.stdout, result.stderr) == wanted, case


def test_lab_sh_starts_this_environments_jupyter_lab_whose_kernel_is_installed(tmp_path: Path) -> None:
    """The real script and JupyterLab, without activating .venv: `--show-config` prints what it
    would run with (that the kernel it defaults to is installed: lesson 1 opens with it, above)."""
    env = {**env_without_this_environment(), **{name: str(tmp_path / name) for name in JUPYTER_DIRS[:3]}}
    shown = run([str(LAB_SCRIPT), "--show-config", "--no-browser", "--port=8899"], tmp_path, env).stdout
    assert ".port = 8899" in shown and ".root_dir = '.'" in shown and ".open_browser = False" in shown, shown
    assert f".default_kernel_name = '{KERNEL}'" in shown, shown
    assert (".allow_root = True" in shown) == IS_ROOT, shown


def test_make_lab_passes_args_to_lab_sh() -> None:
    result = run(["make", "--dry-run", "lab", "ARGS=--no-browser --port 8899"], REPO_ROOT)
    assert "tools/lab.sh --no-browser --port 8899" in result.stdout.splitlines(), result.stdout
