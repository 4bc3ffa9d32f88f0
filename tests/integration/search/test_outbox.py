"""The outbox and the indexer: same-transaction rows, last applied id, idempotent batches."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from sqlalchemy import func, select

from forum.extensions import db
from forum.search.models import SearchOutbox
from forum.search.outbox import enqueue
from forum.search.runtime import get_runtime
from forum.search.store import meta_document
from forum.threads.models import Post, Thread
from tests.integration.search.helpers import Writer, index_keys, last_applied


def outbox_ids() -> list[int]:
    return list(db.session.scalars(select(SearchOutbox.id).order_by(SearchOutbox.id)))


def test_a_change_and_its_outbox_row_commit_together(app: Flask, write: Writer) -> None:
    thread = write.thread("Descaling the Breeze", "Which descaler is safe?")
    rows = db.session.execute(select(SearchOutbox.doc_type, SearchOutbox.doc_id,
                                     SearchOutbox.op)).all()
    assert rows == [("thread", thread.id, "upsert")]


def test_a_rolled_back_change_leaves_no_row_and_nothing_in_the_index(
    app: Flask, write: Writer, index: Callable[[], int], find: Callable
) -> None:
    index()
    thread = Thread(company_id=write.company.id, author_id=write.author.id, kind="question",
                    title="Ghost grinder", slug="ghost-grinder")
    db.session.add(thread)
    db.session.flush()
    db.session.add(Post(thread_id=thread.id, number=1, author_id=write.author.id,
                        body_source="boo", body_html="<p>boo</p>"))
    enqueue("thread", thread.id)
    db.session.rollback()
    assert outbox_ids() == []
    assert index() == 0
    assert find("ghost").total == 0
    assert index_keys(app) == {}


def test_the_index_records_the_last_applied_outbox_id(
    app: Flask, write: Writer, index: Callable[[], int]
) -> None:
    index()
    assert last_applied(app) == 0
    thread = write.thread("Milk frother", "It squeaks")
    write.reply(thread, "Mine too")
    assert index() == 1
    assert last_applied(app) == max(outbox_ids())
    assert index() == 0  # nothing new


def test_batches_are_applied_in_order_and_each_commit_moves_the_id(
    app_factory: Callable[..., Flask], write: Writer, app: Flask
) -> None:
    small = app_factory(SEARCH_BATCH_SIZE=2)
    indexer = get_runtime(small).indexer()
    with small.app_context():
        indexer.open_or_rebuild()
    for number in range(5):
        write.thread(f"Topic number {number}", "body")
    with small.app_context():
        batches = [indexer.run_once() for _ in range(4)]
    assert [(b.first_id, b.last_id) for b in batches if b] == [(1, 2), (3, 4), (5, 5)]
    assert batches[-1] is None
    assert last_applied(app) == 5


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
    # As after a crash between the Whoosh commit and anything else: the same rows again.
    opened = get_runtime(app).store.open_current()
    writer = opened.index.writer()
    writer.update_document(**meta_document(0))
    writer.commit()
    assert index() == 1
    after = (index_keys(app), [h.snippet for h in find("burr").hits], find("burr").total)
    assert after == before
    assert set(index_keys(app).values()) == {1}


def test_prune_deletes_applied_rows_but_keeps_the_newest(
    app_factory: Callable[..., Flask], write: Writer, app: Flask, find: Callable
) -> None:
    pruning = app_factory(SEARCH_OUTBOX_KEEP_SECONDS=0)
    indexer = get_runtime(pruning).indexer()
    for number in range(4):
        write.thread(f"Kettle {number}", "boils")
    with pruning.app_context():
        indexer.open_or_rebuild()
        write.thread("Kettle whistle", "too loud")
        indexer.run_until_idle()
        assert indexer.prune(last_applied(app), force=True) == 4
    db.session.rollback()
    assert outbox_ids() == [5]
    # The id is not handed out again (SQLite reuses max(rowid) + 1 otherwise).
    write.thread("Kettle lid", "rattles")
    assert outbox_ids() == [5, 6]
    with pruning.app_context():
        indexer.run_until_idle()
    assert find("lid").total == 1


def test_prune_waits_while_a_rebuild_runs(
    app_factory: Callable[..., Flask], write: Writer, app: Flask
) -> None:
    pruning = app_factory(SEARCH_OUTBOX_KEEP_SECONDS=0)
    indexer = get_runtime(pruning).indexer()
    write.thread("One", "x")
    write.thread("Two", "y")
    with pruning.app_context():
        indexer.open_or_rebuild()
        rebuild_lock = indexer.store.rebuild_lock()
        assert rebuild_lock.acquire()
        try:
            assert indexer.prune(2, force=True) == 0
        finally:
            rebuild_lock.release()
        assert indexer.prune(2, force=True) == 1
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(SearchOutbox)) == 1
