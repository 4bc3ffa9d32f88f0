"""Sorting by votes or date past the scan cap: the first matches of all, not of those seen.

Counts, not times (bench/search_bench.py times it): which threads a capped search sorted
by votes shows, against an uncapped one, and how many documents it scored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask_login import AnonymousUserMixin

from forum.accounts.models import User
from forum.companies import privacy
from forum.companies.models import Company
from forum.extensions import db
from forum.search import services, tiers
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


def newest(text: str, **filters: object) -> services.SearchResults:
    return services.search(text, viewer=AnonymousUserMixin(), sort="newest", **filters)


@pytest.fixture
def old_favourites(write: Writer, app: Flask) -> list[int]:
    """40 ideas about grinders, the oldest the most voted (a scan that stops at CAP
    documents, all of one length and thus the newest first, sees none of the top ones),
    every other one planned, and 20 about kettles whose votes fall between theirs;
    rebuilt."""
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
    """Votes all 0 (discussions): no tier, the capped scan as before (one length: the
    newest first)."""
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
            assert list(tiers.column_values(reader, "votes")) == [
                column[docnum] for docnum in range(reader.doc_count_all())]
            assert max(tiers.column_values(reader, "votes")) == 161


@pytest.fixture
def long_news(write: Writer, app: Flask) -> list[int]:
    """40 threads about grinders, each newer one longer (a scan that stops at CAP
    documents, the shortest first, sees none of the newest); rebuilt."""
    threads = [write.thread(f"Grinder report {number}", "burr grinder " + "settings " * number)
               for number in range(40)]
    rebuild(get_runtime(app).store, db.engine)
    return [thread.id for thread in reversed(threads)]


def test_past_the_cap_newest_shows_the_newest_of_all_matches(
    long_news: list[int], capped: Flask, uncapped: Flask,
) -> None:
    with capped.app_context():
        first = newest("grinder", per_page=3)
        second = newest("grinder", per_page=3, page=2)
        relevance = services.search("grinder", viewer=AnonymousUserMixin())
    assert [hit.thread_id for hit in first.hits] == long_news[:3]
    assert [hit.thread_id for hit in second.hits] == long_news[3:6]
    assert not first.capped and first.more and first.scanned < 40
    # By relevance the capped scan saw the shortest, the oldest: what the tiers mend.
    assert relevance.capped and long_news[0] not in {hit.thread_id for hit in relevance.hits}
    with uncapped.app_context():
        exact = newest("grinder", per_page=3, page=2)
    assert [hit.thread_id for hit in exact.hits] == long_news[3:6]


@pytest.fixture
def secret_favourite(make_company: Callable[..., Company], make_user: Callable[..., User],
                     write: Writer, app: Flask) -> tuple[int, int]:
    """A private company's idea with more votes than 30 public ones about the same
    grinder; rebuilt. Its owner's id and the idea's."""
    owner = make_user("olga")
    hush = make_company("hush", name="Hush Labs", owner=owner)
    secret = Writer(hush, owner).idea("Grinder secret", "burr grinder", votes=999)
    for number in range(30):
        write.idea(f"Grinder idea {number}", "burr grinder", votes=number + 1)
    assert privacy.set_privacy(owner, hush, True)
    rebuild(get_runtime(app).store, db.engine)
    return owner.id, secret.id


def test_the_tiers_keep_a_private_idea_from_those_outside(
    secret_favourite: tuple[int, int], capped: Flask,
) -> None:
    owner_id, secret_id = secret_favourite
    outside = by_votes("grinder", per_page=3)
    assert [hit.votes for hit in outside.hits] == [30, 29, 28]
    assert secret_id not in {hit.thread_id for hit in outside.hits} and not outside.capped
    owner = db.session.get(User, owner_id)
    inside = services.search("grinder", viewer=owner, sort="votes", per_page=3)
    assert (inside.hits[0].thread_id, inside.hits[0].votes) == (secret_id, 999)
