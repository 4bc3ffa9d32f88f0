"""What searches keep per segment survives index commits, and goes with the segment."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask_login import AnonymousUserMixin
from whoosh.reading import IndexReader

from forum.database import utcnow
from forum.extensions import db
from forum.search import kept, services, tiers
from forum.search.bounded import SearchLimits
from forum.search.counting import segment_column
from forum.search.rebuild import rebuild
from forum.search.runtime import get_runtime
from forum.search.scoring import field_lengths
from forum.search.tiers import segment_tiers
from tests.integration.search.helpers import Writer


def leaves(app: Flask) -> dict[str, object]:
    """The current index's leaf readers by segment id, read through a searcher the
    runtime opens (as a search does)."""
    with get_runtime(app).searcher() as searcher:
        return {str(reader.segment().segment_id()): reader
                for reader, _offset in searcher.reader().leaf_readers()}


def found(text: str) -> set[int]:
    return {hit.thread_id for hit in
            services.search(text, viewer=AnonymousUserMixin()).hits}


def test_a_commit_keeps_the_rebuilt_segments_columns_and_a_rebuild_drops_them(
    write: Writer, index: Callable[[], int], app: Flask,
) -> None:
    old = [write.thread(f"Kettle report {number}", "kettle scale") for number in range(3)]
    rebuild(get_runtime(app).store, db.engine)
    assert found("kettle") == {thread.id for thread in old}
    (rebuilt_id, rebuilt), = leaves(app).items()
    column = segment_column(rebuilt, "thread_id")

    # A commit: a new thread in a new segment, one hidden in the rebuilt one.
    newer = write.thread("Kettle descaling", "kettle scale")
    write.change_thread(old[0], hidden_at=utcnow())
    index()
    assert found("kettle") == {old[1].id, old[2].id, newer.id}
    after = leaves(app)
    assert len(after) == 2 and after[rebuilt_id] is not rebuilt  # a new reader ...
    assert segment_column(after[rebuilt_id], "thread_id") is column  # ... same column

    # A rebuild: a new directory, and nothing kept of the old one.
    rebuild(get_runtime(app).store, db.engine)
    assert found("kettle") == {old[1].id, old[2].id, newer.id}
    (_fresh_id, fresh), = leaves(app).items()
    assert segment_column(fresh, "thread_id") is not column
    assert kept.segments_kept() == 1


def test_a_segment_is_read_once_when_opened_and_sorted_searches_only_look_up(
    write: Writer, index: Callable[[], int], app: Flask, monkeypatch: pytest.MonkeyPatch,
) -> None:
    for number in range(12):
        write.thread(f"Toaster idea {number}", "toaster crumbs")
    rebuild(get_runtime(app).store, db.engine)
    read: list[str] = []
    real = tiers._Segment.__init__

    def counted(self: tiers._Segment, reader: IndexReader, column: str) -> None:
        read.append(column)
        real(self, reader, column)

    monkeypatch.setattr(tiers._Segment, "__init__", counted)
    monkeypatch.setattr(tiers, "TIERS", (1 / 4,))  # one tier: the newest 8 // 4 = 2
    get_runtime(app).limits = SearchLimits(scan_cap=8)  # sorted searches reach the tiers
    (rebuilt,) = leaves(app).values()  # opening the index reads it
    assert sorted(read) == ["created", "votes"]
    assert segment_tiers(rebuilt, "created").tiers  # the tier is there
    assert field_lengths(rebuilt, "title") is not None

    for sort in ("newest", "votes", "relevance"):
        results = services.search("toaster", viewer=AnonymousUserMixin(), sort=sort)
        assert len(results.hits) == 8  # the scan cap
    assert sorted(read) == ["created", "votes"]  # searches read nothing again

    write.thread("Toaster timer", "toaster crumbs")
    index()
    assert len(leaves(app)) == 2
    # The new segment only, its dates (no document has a vote: no tier by votes).
    assert sorted(read) == ["created", "created", "votes"]
