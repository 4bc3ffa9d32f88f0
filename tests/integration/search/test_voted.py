"""Sorting by votes past the scan cap: the most voted matches of all, not of those seen.

Counts, not times (bench/search_bench.py times it): which threads a capped search sorted
by votes shows, against an uncapped one, and how many documents it scored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask_login import AnonymousUserMixin

from forum.extensions import db
from forum.search import services, voted
from forum.search.rebuild import rebuild
from forum.search.runtime import get_runtime
from tests.integration.search.helpers import Writer

CAP = 10


def by_votes(text: str, **filters: object) -> services.SearchResults:
    return services.search(text, viewer=AnonymousUserMixin(), sort="votes", **filters)


@pytest.fixture
def capped(app_factory: Callable[..., Flask]) -> Iterator[Flask]:
    capped_app = app_factory(SEARCH_SCAN_CAP=CAP)
    with capped_app.app_context():
        yield capped_app


@pytest.fixture
def uncapped(app_factory: Callable[..., Flask]) -> Iterator[Flask]:
    uncapped_app = app_factory(SEARCH_SCAN_CAP=0, SEARCH_CACHE_SIZE=0)
    with uncapped_app.app_context():
        yield uncapped_app


@pytest.fixture
def old_favourites(write: Writer, app: Flask) -> list[int]:
    """40 ideas about grinders, the oldest the most voted (a newest-first scan that stops
    at CAP documents sees none of the top ones), every other one planned, and 20 about
    kettles whose votes fall between theirs; rebuilt."""
    grinders = [write.idea(f"Grinder idea {number}", "burr grinder settings",
                           votes=2 * (80 - number),
                           status="planned" if number % 2 else "open")
                for number in range(40)]
    for number in range(20):
        write.idea(f"Kettle idea {number}", "kettle temperature", votes=2 * (80 - number) + 1)
    rebuild(get_runtime(app).store, db.engine)
    return [thread.id for thread in grinders]


def test_past_the_cap_the_page_shows_the_most_voted_of_all_matches(
    old_favourites: list[int], capped: Flask,
) -> None:
    results = by_votes("grinder", per_page=3)
    assert [hit.thread_id for hit in results.hits] == old_favourites[:3]
    assert [hit.votes for hit in results.hits] == [160, 158, 156]
    assert not results.capped  # the order is exact: no "best of those searched" line
    assert results.more  # the count stopped early: "more than" it
    # A pass that counts (as far as the cap), then the tiers: never every match.
    assert results.scanned < 40


def test_a_later_page_agrees_with_a_search_without_cap(
    old_favourites: list[int], capped: Flask, uncapped: Flask,
) -> None:
    with capped.app_context():
        capped_page = [hit.thread_id for hit in by_votes("grinder", per_page=2, page=2).hits]
    with uncapped.app_context():
        exact = by_votes("grinder", per_page=2, page=2)
    assert capped_page == [hit.thread_id for hit in exact.hits] == old_favourites[2:4]
    assert not exact.capped and exact.total == 40


def test_filters_apply_within_the_tiers(old_favourites: list[int], capped: Flask) -> None:
    results = by_votes("grinder", status="planned", per_page=2)
    assert [hit.thread_id for hit in results.hits] == [old_favourites[1], old_favourites[3]]
    assert not results.capped


def test_when_no_tier_holds_the_page_the_capped_scan_answers(
    write: Writer, app: Flask, capped: Flask,
) -> None:
    """Votes all 0 (discussions): no tier, the newest-first scan as before."""
    threads = [write.thread(f"Cleaning day {number}", "descaler tablets")
               for number in range(30)]
    rebuild(get_runtime(app).store, db.engine)
    results = by_votes("descaler")
    assert results.capped and results.scanned == CAP
    assert {hit.thread_id for hit in results.hits} == {
        thread.id for thread in threads[-CAP:]}


def test_the_votes_read_in_one_go_are_the_columns_values(old_favourites: list[int],
                                                         app: Flask) -> None:
    opened = get_runtime(app).store.open_current()
    with opened.index.searcher() as searcher:
        for reader, _offset in searcher.reader().leaf_readers():
            column = reader.column_reader("votes")
            assert list(voted._votes(reader)) == [column[docnum] for docnum in
                                                  range(reader.doc_count_all())]
            assert max(voted._votes(reader)) == 161
