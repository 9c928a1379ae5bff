"""The system's Chromium for the browser tests, headless, no host name resolving: `$BROWSER_PATH`,
by default Debian's /usr/bin/chromium (nothing downloaded). Without it the tests that need it are
skipped, except in CI (`CI=true`), where that fails. Screenshots go to test-artifacts/."""

import contextlib
import os
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
BROWSER_PATH = os.environ.get("BROWSER_PATH", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]  # fmt: skip


@contextlib.contextmanager
def chromium():
    """A Playwright Browser, closed with Playwright at the end."""
    if not (Path(BROWSER_PATH).is_file() and os.access(BROWSER_PATH, os.X_OK)):
        message = f"no browser at {BROWSER_PATH} (set BROWSER_PATH, or apt-get install -y chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {message}")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright.chromium.launch(executable_path=BROWSER_PATH, headless=True, args=ARGS)
