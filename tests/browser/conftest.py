"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server.

Run as part of the suite; CI installs Chromium (scripts/system-deps.sh). A missing browser fails
the run: a skipped browser test would be a test that does not exist.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Django ORM calls inside a (sync) Playwright test run beside its event loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    assert Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM}: run scripts/system-deps.sh"
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def screenshot(tmp_path):
    """Save a full-page screenshot: under docs/screenshots/ (shown in the README) when
    DESKSIDE_SCREENSHOTS=1 (`make screenshots`), else in the test's temporary folder. Every run
    renders a few pixels differently, so writing them always would leave every checkout dirty."""
    folder = SCREENSHOTS if os.environ.get("DESKSIDE_SCREENSHOTS") == "1" else tmp_path

    def take(page, name: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        # caret="initial": hiding the caret makes Playwright inject a <style>, which the desk's
        # strict CSP then reports at the next htmx swap, as if the page had an inline style.
        page.screenshot(path=str(path), full_page=True, caret="initial")
        return path

    return take
