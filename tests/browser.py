"""A real headless Chromium for browser tests (pytest plugin, loaded by tests/conftest.py).

The browser is Debian's `chromium` package (/usr/bin/chromium) driven by Playwright's
sync API; Playwright's own browser downloads are never used. Without /usr/bin/chromium
the browser tests are skipped with that reason; with ORDER_SERVICE_REQUIRE_BROWSER=1
(as in CI) they fail instead.

- `browser` (session): a Playwright `Browser`. Under pytest-xdist each worker process
  launches its own Chromium.
- `page`: a fresh `BrowserContext` and `Page` per test, closed afterwards. Every request
  the page (or a popup it opens) makes is recorded, in order, as its URL in
  `page.requests_made: list[str]`; `requests_made(page)` returns the same list.
- `save_screenshot(page, name, *, full_page=True)`: a PNG at
  `test-artifacts/screenshots/<name>.png` under the repository root (the directory is
  made if missing); returns its path. `full_page=False` shoots only the viewport.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, Request, expect, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
REQUIRE_BROWSER_VARIABLE = "ORDER_SERVICE_REQUIRE_BROWSER"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
# Without the background-networking flags Chromium phones home (updates, sync, field
# trials); a closed network refuses those connections and they would also muddy the
# record of what a page itself requested.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# A page that has not rendered within this long is broken, not slow: fail fast.
TIMEOUT_MS = 15_000


def _require_browser() -> bool:
    return os.environ.get(REQUIRE_BROWSER_VARIABLE, "") not in ("", "0")


@pytest.fixture(scope="session")
def _playwright() -> Iterator[Playwright]:
    if not CHROMIUM.is_file():
        message = f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
        if _require_browser():
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(_playwright: Playwright) -> Iterator[Browser]:
    """Headless Debian Chromium, one per test process."""
    chromium = _playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page in a context of its own; `page.requests_made` lists its request URLs."""
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    made: list[str] = []

    def record(request: Request) -> None:
        made.append(request.url)

    context.on("request", record)
    tab = context.new_page()
    tab.requests_made = made  # type: ignore[attr-defined]
    try:
        yield tab
    finally:
        context.close()


def requests_made(page: Page) -> list[str]:
    """The URLs `page` (from the `page` fixture) requested so far, in order."""
    made: list[str] = page.requests_made  # type: ignore[attr-defined]
    return made


def save_screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """Save a PNG of `page` as test-artifacts/screenshots/<name>.png (the whole page, or
    with `full_page=False` only the viewport: cheaper for very long pages)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def sign_in(page: Page, base_url: str, api_key: str | None) -> None:
    """Sign in to the back office at `base_url` with `api_key`, as a merchant types it."""
    assert api_key is not None
    page.goto(f"{base_url}/admin/sign-in")
    page.get_by_label("API key").fill(api_key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Orders")).to_be_visible()
