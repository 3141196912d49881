"""Headless Chromium for the tests, driven by Playwright: Debian's `chromium` (or the one
REGISTRY_TEST_CHROMIUM names), never a browser Playwright downloads. Without one the
browser tests are skipped, unless REGISTRY_TEST_REQUIRE_BROWSER is set (as .ci/run does),
where a missing browser fails them."""
import os
import shutil

import pytest

try:
    from playwright.sync_api import expect, sync_playwright  # noqa: F401 - expect, for the tests
except ImportError:  # the browser fixture says what is missing
    expect = sync_playwright = None

# The flags a sandboxed, offline machine needs: no background calls to Google's hosts.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"]


def chromium_path() -> str | None:
    return os.environ.get("REGISTRY_TEST_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser():
    """Started and stopped with each module of browser tests: while Playwright's sync API
    runs, its event loop counts as running in this thread, and other tests'
    asyncio.run() would fail."""
    path = chromium_path()
    if path is None or sync_playwright is None:
        missing = "Chromium (apt-get install chromium)" if path is None else "Playwright (the test extra)"
        if os.environ.get("REGISTRY_TEST_REQUIRE_BROWSER"):
            pytest.fail(f"the browser tests need {missing}")
        pytest.skip(f"the browser tests need {missing}")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


class Visit:
    """A new browser context (no storage shared with another) on one page, recording the
    URL and headers of every request it makes."""

    def __init__(self, browser):
        self.context = browser.new_context(viewport={"width": 1400, "height": 900})
        self.page = self.context.new_page()
        self.requests: list = []
        self.errors: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.set_default_timeout(15_000)

    def close(self):
        self.context.close()

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.close()
