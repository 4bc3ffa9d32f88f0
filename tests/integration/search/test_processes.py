"""Real processes: kill -9 in the middle of a backlog, two workers at once, and a rebuild
while people keep writing. The worker and the rebuild run as `flask search ...`
subprocesses against this test's database and index directory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask

from forum.database import utcnow, write_transaction
from forum.events import types as events
from forum.events.log import record
from forum.extensions import db
from forum.search.rebuild import rebuild
from forum.search.runtime import get_runtime
from forum.search.store import IndexUnavailable
from forum.threads.models import Post, Thread
from tests.integration.search.helpers import (
    Writer,
    found_titles,
    index_keys,
    last_applied,
    newest_event,
)

ROOT = Path(__file__).resolve().parents[3]
DEADLINE = 120.0  # seconds for a few thousand documents on a slow machine


def bulk_threads(write: Writer, count: int, word: str = "walrus") -> list[int]:
    """`count` threads with their opening posts and events, in one transaction."""
    with write_transaction():
        threads = [Thread(company_id=write.company.id, author_id=write.author.id,
                          kind="discussion", title=f"Backlog {number} {word}",
                          slug=f"backlog-{number}") for number in range(count)]
        db.session.add_all(threads)
        db.session.flush()
        db.session.add_all([
            Post(thread_id=thread.id, number=1, author_id=write.author.id, body_source="x",
                 body_html=f"<p>The {word} number {thread.id} likes coffee.</p>")
            for thread in threads])
        for thread in threads:
            record(events.THREAD_STARTED, write.author, thread, write.company)
    return [thread.id for thread in threads]



def flask_env(database_uri: str, tmp_path: Path, **settings: str) -> dict[str, str]:
    env = dict(os.environ)  # SEARCH_INDEX_DIR comes from the search_index_dir fixture
    env.update(FLASK_APP="wsgi", DATABASE_URL=database_uri, SECRET_KEY="test-secret",
               PYTHONUNBUFFERED="1", PYTHONFAULTHANDLER="1", SEARCH_INDEXER_THREAD="0",
               COCREATE_INSTANCE_DIR=str(tmp_path / "instance"), **settings)
    return env


def start(env: dict[str, str], *command: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "flask", *command], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def safe_last_applied(app: Flask) -> int:
    """The index's last applied id, read while another process writes it."""
    try:
        return last_applied(app)
    except IndexUnavailable:
        return -1  # caught between a commit and its clean-up: look again


def eventually(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def stop(worker: subprocess.Popen[str]) -> str:
    """SIGTERM, then the worker's output. A worker still running a minute later is made
    to print where each of its threads is (faulthandler, on SIGABRT) and so ends: the
    failure says where it hung, and no process is left to trouble the next test."""
    worker.send_signal(signal.SIGTERM)
    try:
        output, _ = worker.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        worker.send_signal(signal.SIGABRT)
        output, _ = worker.communicate(timeout=60)
        raise AssertionError(f"the worker did not stop on SIGTERM:\n{output}") from None
    assert worker.returncode == 0, output
    assert "Search worker stopped." in output
    return output


def test_kill_9_in_the_middle_of_a_backlog_loses_nothing_and_duplicates_nothing(
    app: Flask, write: Writer, index: Callable[[], int], database_uri: str, tmp_path: Path
) -> None:
    index()
    ids = bulk_threads(write, 2_000)
    newest = newest_event()  # one event per thread
    env = flask_env(database_uri, tmp_path, SEARCH_BATCH_SIZE="40", SEARCH_POLL_INTERVAL="0.05")
    worker = start(env, "search", "worker")
    try:
        eventually(lambda: safe_last_applied(app) > 0, "the first batch")
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.communicate(timeout=60)
    killed_at = last_applied(app)
    assert 0 < killed_at < newest, "the worker was not killed mid-backlog"
    worker = start(env, "search", "worker")
    try:
        eventually(lambda: safe_last_applied(app) == newest, "the backlog to drain")
    finally:
        stop(worker)
    keys = index_keys(app)
    assert set(keys) == {f"t:{thread_id}" for thread_id in ids}
    assert set(keys.values()) == {1}


def test_a_second_worker_exits_with_a_clear_message_and_the_index_stays_whole(
    app: Flask, write: Writer, index: Callable[[], int], database_uri: str, tmp_path: Path
) -> None:
    index()
    ids = bulk_threads(write, 400)
    newest = newest_event()
    env = flask_env(database_uri, tmp_path, SEARCH_BATCH_SIZE="20", SEARCH_POLL_INTERVAL="0.05")
    first = start(env, "search", "worker")
    try:
        assert first.stdout is not None
        assert "following the event log" in first.stdout.readline()
        second = subprocess.run([sys.executable, "-m", "flask", "search", "worker"], cwd=ROOT,
                                env=env, capture_output=True, text=True, timeout=60)
        assert second.returncode == 1
        assert f"another search indexer is running (pid {first.pid}" in second.stderr
        assert "Not starting a second one." in second.stderr
        eventually(lambda: safe_last_applied(app) == newest, "the first worker to finish")
    finally:
        stop(first)
    keys = index_keys(app)
    assert set(keys) == {f"t:{thread_id}" for thread_id in ids}
    assert set(keys.values()) == {1}


def test_a_reindex_while_people_write_loses_nothing(
    app: Flask, write: Writer, index: Callable[[], int], database_uri: str, tmp_path: Path,
    search_index_dir: Path,
) -> None:
    index()
    ids = bulk_threads(write, 1_500)
    reindex = start(flask_env(database_uri, tmp_path), "search", "reindex")
    written, during_build = [], 0
    while reindex.poll() is None:
        building = any(search_index_dir.glob("build-*"))
        written.append(write.thread(f"Written meanwhile {len(written)}", "okapi").id)
        during_build += building
    output, _ = reindex.communicate()
    assert reindex.returncode == 0, output
    assert "Indexed " in output and "is now current" in output
    assert during_build > 0, "no write happened while the new index was being built"
    index()  # the indexer carries on from the rebuild's horizon
    keys = index_keys(app)
    assert set(keys) == {f"t:{thread_id}" for thread_id in ids + written}
    assert set(keys.values()) == {1}


def test_changes_read_and_not_yet_read_by_a_rebuild_both_reach_the_new_index(
    app: Flask, write: Writer, index: Callable[[], int], find: Callable
) -> None:
    first = write.thread("First chunk", "aardvark")
    filler = bulk_threads(write, 1_100)
    last = write.thread("Last chunk", "badger")
    index()
    store = get_runtime(app).store
    changed: list[int] = []

    def meanwhile(_threads: int) -> None:
        """After the rebuild read its first chunk: change things on both sides of it."""
        if changed:
            return
        changed.append(_threads)
        write.change_thread(first, title="First chunk zebra")
        write.change_thread(last, title="Last chunk yak")
        write.change_thread(db.session.get(Thread, filler[0]), hidden_at=utcnow())
        write.thread("Born meanwhile", "quokka")
        get_runtime(app).indexer().run_until_idle()  # the live indexer feeds the old index

    result = rebuild(store, db.engine, progress=meanwhile)
    assert store.current_version() == result.version and changed == [500]
    # The newest chunk was read first: the new index has not caught up with its change.
    assert find("yak").total == 0
    index()
    assert found_titles(find("zebra")) == ["First chunk zebra"]
    assert found_titles(find("yak")) == ["Last chunk yak"]
    assert found_titles(find("quokka")) == ["Born meanwhile"]
    assert f"t:{filler[0]}" not in index_keys(app)
    assert set(index_keys(app).values()) == {1}
