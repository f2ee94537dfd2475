"""A real Chromium (Debian's /usr/bin/chromium) driven by Playwright against pytest-django's live_server."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("PORTAL_E2E_CHROMIUM", "/usr/bin/chromium"))

# Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls from such a thread
# unless told that the test knows what it does (the ORM calls here are fixture set-up, not concurrent).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


# Refusals that are the policy doing its job, not a page that needs fixing: Redoc always tries to show its
# vendor's logo from that vendor's CDN, and the portal loads nothing from outside.
EXPECTED_REFUSALS = ("'https://cdn.redoc.ly/redoc/logo-mini.svg'",)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip(f"No Chromium at {CHROMIUM}: install it with `apt-get install -y chromium` to run the e2e tests.")
    playwright_sync = pytest.importorskip("playwright.sync_api")
    with playwright_sync.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server):  # type: ignore[no-untyped-def]
    """Open a fresh browser context (its own cookies: one person) on the live server.

    Chromium reports each thing the Content-Security-Policy refused (an inline script or style, a foreign
    source) on the console; any such report fails the test.
    """
    contexts = []
    csp_reports: list[str] = []

    def record(message):  # type: ignore[no-untyped-def]
        if any(expected in message.text for expected in EXPECTED_REFUSALS):
            return
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            csp_reports.append(f"{message.page.url if message.page else '?'}: {message.text}")

    def open_page():  # type: ignore[no-untyped-def]
        context = browser.new_context(base_url=live_server.url, locale="en-GB", accept_downloads=True)
        context.set_default_timeout(15_000)
        context.on("console", record)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
    assert not csp_reports, "the Content-Security-Policy refused something:\n" + "\n".join(csp_reports)
