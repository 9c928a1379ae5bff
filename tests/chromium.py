"""The system's Chromium for the browser tests, headless and with no host name resolving.

`$BROWSER_PATH`, by default Debian's /usr/bin/chromium: nothing is downloaded. Without it the
tests that need it are skipped, except in CI (`CI=true`), where that is a failure. Screenshots
go to test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
BROWSER_PATH = os.environ.get("BROWSER_PATH", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",  # as root too
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",  # JupyterLab's address only
]


@contextlib.contextmanager
def chromium() -> Iterator:
    """A Playwright Browser, closed at the end."""
    if not (Path(BROWSER_PATH).is_file() and os.access(BROWSER_PATH, os.X_OK)):
        message = f"no browser at {BROWSER_PATH} (set BROWSER_PATH, or apt-get install -y chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {message}")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=BROWSER_PATH, headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()
