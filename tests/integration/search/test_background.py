"""The development indexer thread: started lazily, once, stopped cleanly, and quick."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from flask import Flask

from forum.search.runtime import get_runtime
from tests.integration.search.helpers import Records, Writer, last_applied, newest_event

DEADLINE = 20.0  # seconds: generous for a loaded CI machine; it usually takes < 1


def indexer_threads() -> int:
    return sum(thread.name == "search-indexer" for thread in threading.enumerate())


def eventually(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_starts_on_the_first_request_only_once_and_stops_cleanly(
    app: Flask, app_factory: Callable[..., Flask]
) -> None:
    live = app_factory(SEARCH_INDEXER_THREAD=True)
    runtime = get_runtime(live)
    assert not runtime.indexer_running  # building the app started nothing
    assert indexer_threads() == 0
    live.test_client().get("/")
    assert runtime.indexer_running
    live.test_client().get("/")
    assert runtime.start_indexer_thread() is False
    assert indexer_threads() == 1
    runtime.stop_indexer_thread()
    assert not runtime.indexer_running and indexer_threads() == 0
    other = runtime.indexer()
    with live.app_context():
        other.lock()  # the thread let go of the lock
        other.unlock()


def test_a_new_post_is_searchable_within_seconds_of_its_commit(
    app: Flask, app_factory: Callable[..., Flask], write: Writer
) -> None:
    live = app_factory(SEARCH_INDEXER_THREAD=True, SEARCH_POLL_INTERVAL=0.05)
    client = live.test_client()
    client.get("/")
    thread = write.thread("Wildlife", "Animals near the cafe")
    write.reply(thread, "A quokka visited the terrace")

    def found() -> bool:
        response = client.get("/search?q=quokka")
        return response.status_code == 200 and "<mark>quokka</mark>" in response.get_data(
            as_text=True)

    eventually(found, "the reply to be searchable")


@pytest.mark.parametrize(("software", "expected"), [
    ("Werkzeug/3.1.3", True), ("gunicorn/23.0.0", False), ("", False),
])
def test_unset_means_only_under_the_development_server(
    app: Flask, app_factory: Callable[..., Flask], software: str, expected: bool
) -> None:
    live = app_factory(SEARCH_INDEXER_THREAD=None)
    live.test_client().get("/", environ_overrides={"SERVER_SOFTWARE": software})
    assert get_runtime(live).indexer_running is expected


def test_tests_and_explicit_off_start_nothing(app: Flask) -> None:
    app.test_client().get("/", environ_overrides={"SERVER_SOFTWARE": "Werkzeug/3.1.3"})
    assert not get_runtime(app).indexer_running


def test_the_thread_stands_by_while_a_worker_holds_the_lock(
    app: Flask, app_factory: Callable[..., Flask], write: Writer, index: Callable[[], int],
    search_log: Records,
) -> None:
    index()
    applied = newest_event()
    worker = get_runtime(app).indexer()
    worker.lock()
    try:
        live = app_factory(SEARCH_INDEXER_THREAD=True, SEARCH_POLL_INTERVAL=0.05)
        live.test_client().get("/")
        eventually(lambda: any("stands by" in m for m in search_log.messages), "standing by")
        write.thread("Standby", "waiting")
        assert last_applied(app) == applied  # the thread does not write while the lock is held
    finally:
        worker.unlock()
    newest = newest_event()
    eventually(lambda: last_applied(app) == newest, "the thread to take over")
