"""`flask search status | reindex | worker --once` through the CLI runner."""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from collections.abc import Callable

from flask import Flask, current_app
from flask.testing import FlaskClient, FlaskCliRunner

from forum.search.cli import follow_until_signalled
from forum.search.runtime import get_runtime
from tests.integration.search.helpers import Writer, last_applied, newest_event


def test_status_without_an_index_says_how_to_build_one(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["search", "status"])
    assert result.exit_code == 1
    assert "No usable search index" in result.output
    assert "flask search reindex" in result.output


def test_reindex_builds_and_reports(app: Flask, runner: FlaskCliRunner, write: Writer) -> None:
    thread = write.thread("Pour over", "Which kettle?")
    write.reply(thread, "A gooseneck kettle")
    write.idea("Pour over kit", "sell one")
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "Reading threads" in result.output and "Indexing documents" in result.output
    assert "Indexed 2 threads as 3 documents" in result.output
    version = get_runtime(app).store.current_version()
    assert f"Index {version} is now current, up to event {newest_event()}." in result.output


def test_status_reports_documents_last_id_and_backlog(
    app: Flask, runner: FlaskCliRunner, write: Writer, index: Callable[[], int]
) -> None:
    thread = write.thread("Pour over", "Which kettle?")
    write.reply(thread, "A gooseneck kettle")
    index()
    applied = newest_event()
    write.thread("Cold brew", "ratio?")
    write.thread("French press", "grind?")
    result = runner.invoke(args=["search", "status"])
    assert result.exit_code == 0, result.output
    assert "Documents: 2 (1 threads, 1 posts)" in result.output
    assert f"Last applied event: {applied}" in result.output
    assert "Lag behind the event log: 2 events" in result.output
    assert "Size on disk:" in result.output
    version = get_runtime(app).store.current_version()
    assert re.search(rf"Generation: {version}:\d+ ", result.output)
    assert "Searches: none reported in the last 10 minutes" in result.output


def test_status_adds_up_what_every_searching_process_reported(
    app: Flask, runner: FlaskCliRunner, write: Writer, index: Callable[[], int],
    client: FlaskClient,
) -> None:
    write.thread("Pour over", "Which kettle?")
    index()
    for _ in range(3):
        assert client.get("/search?q=kettle").status_code == 200  # one miss, two hits
    stats = get_runtime(app).stats
    stats.write()
    other = stats.directory / "other-host-4242.json"  # another worker, elsewhere
    other.write_text('{"searches": 7, "capped": 2, "cache_hits": 1, "cache_misses": 6}')
    gone = stats.directory / "old-host-1.json"  # a worker that stopped long ago
    gone.write_text('{"searches": 100, "capped": 0, "cache_hits": 0, "cache_misses": 100}')
    os.utime(gone, (time.time() - 3600, time.time() - 3600))
    result = runner.invoke(args=["search", "status"])
    assert result.exit_code == 0, result.output
    assert ("Searches (the 2 processes reporting in the last 10 minutes): 10, 2 of them hit "
            "the cap") in result.output
    assert "Result cache hit rate: 30% of 10 lookups" in result.output
    assert not gone.exists()


def test_worker_once_applies_the_backlog(
    app: Flask, runner: FlaskCliRunner, write: Writer, index: Callable[[], int]
) -> None:
    index()
    write.thread("Cold brew", "ratio?")
    result = runner.invoke(args=["search", "worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "Search worker stopped." in result.output
    assert last_applied(app) == newest_event()


def test_a_second_worker_refuses_to_start(
    app: Flask, runner: FlaskCliRunner, index: Callable[[], int]
) -> None:
    index()
    first = get_runtime(app).indexer()
    first.lock()
    try:
        result = runner.invoke(args=["search", "worker", "--once"])
    finally:
        first.unlock()
    assert result.exit_code == 1
    assert "another search indexer is running" in result.output


def test_the_worker_loop_runs_beside_the_thread_that_takes_the_signals(app: Flask) -> None:
    """SIGTERM lets the loop finish its turn and stops the worker. The loop never runs in
    the main thread, where the handler runs: a handler setting the Event that its own
    thread was inside wait() on would wait forever for the Event's lock (the worker
    that once hung in CI with its backlog drained)."""
    loops: list[threading.Thread] = []

    def run_forever(stop: threading.Event) -> None:
        loops.append(threading.current_thread())
        assert current_app  # the app's context, as in the worker
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.wait(10), "SIGTERM did not reach the loop"

    handlers = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    try:
        with app.app_context():
            follow_until_signalled(run_forever)
    finally:
        signal.signal(signal.SIGTERM, handlers[0])
        signal.signal(signal.SIGINT, handlers[1])
    assert len(loops) == 1
    assert loops[0] is not threading.main_thread()
    assert not loops[0].is_alive()
