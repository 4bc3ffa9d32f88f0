"""A live server and a real browser (Playwright driving Debian's Chromium).

Without a browser these tests are skipped with a clear message, unless E2E_REQUIRED=1
(as in CI), when a missing browser is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.smtp import SmtpServer

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
REQUIRED = os.environ.get("E2E_REQUIRED") == "1"


def _chromium() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which(
        "chromium-browser")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in item.nodeid.replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = _chromium()
    if executable is None:
        message = "no Chromium found (apt-get install chromium, or set CHROMIUM_PATH)"
        if REQUIRED:
            pytest.fail(f"E2E_REQUIRED=1 but {message}")
        pytest.skip(f"browser tests skipped: {message}")
    from playwright.sync_api import sync_playwright  # optional at import: unit runs need none

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


class LiveServer:
    """The app served over real HTTP on a free port, in a thread."""

    def __init__(self, app: Flask) -> None:
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> LiveServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def live_server(app_factory: Callable[..., Flask], app: Flask) -> Iterator[LiveServer]:
    """The live app has CSRF and the page cache on, as in production; `app` gives the test
    a context."""
    live_app = app_factory(WTF_CSRF_ENABLED=True, PAGE_CACHE_SECONDS=60)
    server = LiveServer(live_app).start()
    yield server
    server.stop()


@pytest.fixture
def smtp(smtp_server: Callable[..., SmtpServer]) -> SmtpServer:
    """A real SMTP server for the live app only: the test's own app (`flask demo load`
    run by the test) keeps writing its mail to files."""
    return smtp_server()


@pytest.fixture
def notifying_server(app_factory: Callable[..., Flask], app: Flask,
                     smtp: SmtpServer) -> Iterator[LiveServer]:
    """A live server whose notifier and mail sender run as threads, as under `flask run`."""
    live_app = app_factory(WTF_CSRF_ENABLED=True, PAGE_CACHE_SECONDS=60, NOTIFIER_THREAD=True,
                           NOTIFIER_POLL_INTERVAL=0.1, MAIL_THREAD=True,
                           MAIL_POLL_INTERVAL=0.1, MAIL_URL=smtp.url())
    server = LiveServer(live_app).start()
    live_app.config["BASE_URL"] = server.url  # links in mail lead to this server
    yield server
    server.stop()


def _record_console_error(message: Any, errors: list[str]) -> None:
    """JavaScript errors and 5xx fail the test; 4xx answers are what tests assert on."""
    if message.type != "error":
        return
    if re.search(r"status of 4\d\d", message.text):
        return
    errors.append(message.text)


@pytest.fixture
def new_page(browser: Any, live_server: LiveServer) -> Iterator[Callable[..., Any]]:
    """Open a page in a browser context of its own (one person each), phone-sized."""
    contexts: list[Any] = []
    errors: list[str] = []

    def open_page(width: int = 390, height: int = 844) -> Any:
        context = browser.new_context(base_url=live_server.url,
                                      viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda msg: _record_console_error(msg, errors))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert errors == [], f"the browser reported errors: {errors}"


@pytest.fixture
def page(new_page: Callable[..., Any]) -> Any:
    return new_page()


def sign_in(page: Any, username: str, password: str) -> None:
    """Sign in through the real form."""
    page.goto("/signin")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text(f"Signed in as {username}.").wait_for()


def settled(page: Any) -> None:
    """Wait until htmx has finished a swap and wired up what it swapped in: a key pressed
    sooner reaches a form htmx has not taken over yet, which then submits as a plain
    POST and reloads the page (a person cannot type that fast; a test can)."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")
