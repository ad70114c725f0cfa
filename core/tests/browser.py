"""A headless Chromium for browser tests: Debian's chromium driven by Playwright (never a
downloaded browser). Tests using it are marked `browser` and skip where either is missing;
CI installs both (`.ci/run`)."""

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# CI sets it: there a missing browser is a failure, not a skip.
REQUIRED = os.environ.get("BROWSER_TESTS_REQUIRED") == "1"


def _missing(reason: str):
    if REQUIRED:
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def page(monkeypatch):
    # Playwright's sync API keeps an event loop in the test's thread; the test's own ORM
    # calls are still synchronous, so Django's guard against async callers is lifted here.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    try:
        from playwright import sync_api
    except ImportError:
        _missing("needs Playwright (pip install -r requirements-browser.txt)")
    if CHROMIUM is None:
        _missing("needs Debian's chromium (apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context()
        context.set_default_timeout(15_000)
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()
