"""The event log feeds the indexer: same-transaction events, last applied id, idempotent
batches, a log that is kept."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import func, select

from forum.database import write_transaction
from forum.events import types as events
from forum.events.log import record
from forum.events.models import Event
from forum.extensions import db
from forum.search.runtime import get_runtime
from forum.search.store import meta_document
from forum.threads.models import Post, Thread
from tests.integration.search.helpers import Writer, index_keys, last_applied, newest_event


def test_a_change_and_its_event_commit_together(app: Flask, write: Writer) -> None:
    before = newest_event()
    thread = write.thread("Descaling the Breeze", "Which descaler is safe?")
    rows = db.session.execute(select(Event.type, Event.thread_id, Event.subject_type,
                                     Event.company_id).where(Event.id > before)).all()
    assert rows == [(events.THREAD_STARTED, thread.id, "threads", write.company.id)]


def test_a_rolled_back_change_leaves_no_event_and_nothing_in_the_index(
    app: Flask, write: Writer, index: Callable[[], int], find: Callable
) -> None:
    index()
    before = newest_event()
    with pytest.raises(RuntimeError, match="changed our mind"), write_transaction():
        thread = Thread(company_id=write.company.id, author_id=write.author.id,
                        kind="question", title="Ghost grinder", slug="ghost-grinder")
        db.session.add(thread)
        db.session.flush()
        db.session.add(Post(thread_id=thread.id, number=1, author_id=write.author.id,
                            body_source="boo", body_html="<p>boo</p>"))
        record(events.THREAD_STARTED, write.author, thread, write.company)
        raise RuntimeError("changed our mind")
    assert newest_event() == before
    assert index() == 0
    assert find("ghost").total == 0
    assert index_keys(app) == {}


def test_an_event_is_recorded_only_inside_a_write_transaction(app: Flask,
                                                              write: Writer) -> None:
    thread = write.thread("Milk frother", "It squeaks")
    with pytest.raises(RuntimeError, match="write_transaction"):
        record(events.THREAD_LOCKED, write.author, thread, write.company)
    with pytest.raises(LookupError, match="unknown event type"), write_transaction():
        record("thread.lockd", write.author, thread, write.company)


def test_the_index_records_the_last_applied_event(
    app: Flask, write: Writer, index: Callable[[], int]
) -> None:
    index()
    assert last_applied(app) == newest_event()
    thread = write.thread("Milk frother", "It squeaks")
    write.reply(thread, "Mine too")
    assert index() == 1
    assert last_applied(app) == newest_event()
    assert index() == 0  # nothing new


def test_batches_are_applied_in_order_and_each_commit_moves_the_id(
    app_factory: Callable[..., Flask], write: Writer, app: Flask
) -> None:
    small = app_factory(SEARCH_BATCH_SIZE=2)
    indexer = get_runtime(small).indexer()
    with small.app_context():
        indexer.open_or_rebuild()
    base = newest_event()
    for number in range(5):
        write.thread(f"Topic number {number}", "body")
    with small.app_context():
        batches = [indexer.run_once() for _ in range(4)]
    assert [(b.first_id - base, b.last_id - base) for b in batches if b] == [
        (1, 2), (3, 4), (5, 5)]
    assert batches[-1] is None
    assert last_applied(app) == base + 5


def test_applying_a_batch_twice_gives_the_same_index(
    app: Flask, write: Writer, index: Callable[[], int], find: Callable
) -> None:
    index()
    thread = write.thread("Grinder noise", "The burr grinder is loud")
    write.reply(thread, "Grinder burrs wear out")
    post = write.reply(thread, "Try a new burr set")
    write.hide_post(post)
    index()
    before = (index_keys(app), [h.snippet for h in find("burr").hits], find("burr").total)
    # As after a crash between the Whoosh commit and anything else: the same events again.
    opened = get_runtime(app).store.open_current()
    writer = opened.index.writer()
    writer.update_document(**meta_document(0))
    writer.commit()
    assert index() == 1
    after = (index_keys(app), [h.snippet for h in find("burr").hits], find("burr").total)
    assert after == before
    assert set(index_keys(app).values()) == {1}


def test_the_log_is_kept_after_it_is_applied(
    app: Flask, write: Writer, index: Callable[[], int]
) -> None:
    for number in range(3):
        write.thread(f"Kettle {number}", "boils")
    before = db.session.scalar(select(func.count()).select_from(Event))
    index()
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Event)) == before
