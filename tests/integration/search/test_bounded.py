"""Bounded search: the scan cap, the prefix cap, the result cache, no process-wide lock.

Counts, not times: how many documents a search scored, how many words a prefix stood
for, whether a page came from the cache. Timing is in bench/search_bench.py.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask_login import AnonymousUserMixin

from forum.accounts.models import User
from forum.companies import privacy
from forum.companies.models import Company
from forum.database import utcnow
from forum.extensions import db
from forum.search import querying, services
from forum.search.bounded import ResultCache, capped_search
from forum.search.rebuild import rebuild
from forum.search.runtime import get_runtime
from ideas.votes import cast_vote
from tests.integration.search.helpers import Writer, idea_of

CAP = 10


@pytest.fixture
def capped(app_factory: Callable[..., Flask]) -> Iterator[Flask]:
    """An app on the same database and index whose searches score at most CAP documents
    and whose prefixes stand for at most two words."""
    capped_app = app_factory(SEARCH_SCAN_CAP=CAP, SEARCH_PREFIX_TERMS=2)
    with capped_app.app_context():
        yield capped_app


def visitor_search(text: str, **filters: object) -> services.SearchResults:
    return services.search(text, viewer=AnonymousUserMixin(), **filters)


def hit_titles(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", title) for title in
            re.findall(r'class="search-hit-title"><a href="[^"]+">(.*?)</a>', html)]


@pytest.fixture
def descalers(write: Writer, index: Callable[[], int]) -> None:
    """30 threads with "descaler" in their body, one of the shortest in its title too (a
    rebuilt index holds the shortest first: the first ten are scanned)."""
    for number in range(30):
        if number == 25:
            write.thread("Espresso descaler", "descaler tablets")
        else:
            write.thread(f"Cleaning day {number}", f"descaler tablets, round {number}")
    index()


def test_a_common_word_scores_no_more_than_the_cap(descalers: None, capped: Flask) -> None:
    results = visitor_search("descaler")
    assert results.capped and results.more
    assert results.scanned == CAP
    assert results.total == CAP  # threads counted as far as the cap, "more than 10"
    # The best of what was scored comes first: the title match among the first ten.
    assert results.hits[0].title == "Espresso descaler"
    assert len(results.hits) == CAP


def test_a_capped_search_meets_the_short_best_match_first(
        write: Writer, app: Flask, capped: Flask) -> None:
    """The best match is the oldest thread, and short; 29 newer ones mention the word in
    a long body. A rebuilt index holds the shortest documents first, so the scan that
    stops at the cap has met it; the spilled files are gone."""
    best = write.thread("Descaler", "descaler")
    for number in range(29):
        write.thread(f"Cleaning day {number}",
                     "we used the descaler " + "and rinsed the water tank twice " * 5)
    result = rebuild(get_runtime(app).store, db.engine)
    results = visitor_search("descaler")
    assert results.capped and results.scanned == CAP
    assert results.hits[0].thread_id == best.id
    version = get_runtime(app).store.root / result.version
    assert not (version / "by-length").exists()


def test_a_search_that_hits_the_cap_is_logged_with_its_words_and_time(
        descalers: None, capped: Flask, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="forum.search"):
        visitor_search("descaler")
        visitor_search("espresso")  # within the cap: not logged
    logged = [record.getMessage() for record in caplog.records]
    assert len(logged) == 1
    assert re.fullmatch(r"Search hit its cap: 'descaler', 10 documents scored in \d+ ms",
                        logged[0])


def test_without_the_cap_every_match_is_counted(descalers: None, app: Flask) -> None:
    results = visitor_search("descaler")
    assert not results.capped and not results.more
    assert results.total == 30 and results.scanned <= 30


@pytest.fixture
def few_steps(app_factory: Callable[..., Flask]) -> Iterator[Flask]:
    """An app whose searches may take 40 steps before a match (alignments, phrase
    checks) at most."""
    stepped = app_factory(SEARCH_STEP_CAP=40)
    with stepped.app_context():
        yield stepped


def test_a_phrase_stops_at_its_budget_of_position_checks(
        write: Writer, index: Callable[[], int], app: Flask, few_steps: Flask) -> None:
    """Each two of its words in a row in every document, but never all three: each is a
    position check for nothing, and the search stops at the budget instead of checking
    all of them. (A phrase of two words is one term, schema.WordPairs: no checks.)"""
    write.thread("Oat milk now at last", "we have it")  # the oldest: searched last
    for number in range(120):
        write.thread(f"Report {number}", "oat milk first, then milk now")
    index()
    results = visitor_search('"oat milk now"')
    assert results.capped and results.more and not results.hits
    html = few_steps.test_client().get("/search?q=%22oat+milk+now%22").get_data(as_text=True)
    assert "No match found yet" in html and "More than 0" not in html
    assert "Many documents were searched without a match so far." in html
    with app.app_context():  # the default budget
        found = visitor_search('"oat milk now"')
        two = visitor_search('"milk now"')
    assert [hit.title for hit in found.hits] == ["Oat milk now at last"] and not found.capped
    assert two.total == 121 and not two.capped


def test_words_that_rarely_meet_stop_at_the_budget(
        write: Writer, index: Callable[[], int], app: Flask, few_steps: Flask) -> None:
    """Each document of the rarest word is a step, whether the others have it or not."""
    for number in range(100):
        write.thread(f"Report {number}", "kettle" if number % 2 else "descaler")
    for number in range(3):
        write.thread(f"Both {number}", "kettle and descaler")
    index()
    assert visitor_search("kettle descaler").capped
    with app.app_context():
        found = visitor_search("kettle descaler")
    assert found.total == 3 and not found.capped


def test_once_the_count_is_full_pruning_keeps_the_same_top_documents(
        write: Writer, index: Callable[[], int], app: Flask) -> None:
    """One pass scores and counts; past the count's limit it may skip blocks of documents
    that cannot reach the top, and the top it finds is the one of a search that skips
    none."""
    for number in range(300):  # the newest 20, scanned first, match best; the rest weakly
        words = ("kettle " * (2 + number % 6) if number >= 280
                 else "kettle " + "scale " * (30 + number % 7))
        write.thread(f"Report {number}", f"{words} limescale")
    index()
    whole = querying.to_whoosh(querying.parse("kettle limescale"))
    assert whole is not None
    with get_runtime(app).searcher() as searcher:
        full = capped_search(searcher, whole, limit=8, sortedby=None, cap=0,
                             count_up_to=1_000)
        pruned = capped_search(searcher, whole, limit=8, sortedby=None, cap=0,
                               count_up_to=1)
        assert full.threads.total == 300 and not full.threads.more
        assert pruned.threads.total == 1 and pruned.threads.more
        assert ([(hit.score, hit.docnum) for hit in pruned.results]
                == [(hit.score, hit.docnum) for hit in full.results])
        assert pruned.scanned < full.scanned == 300


def test_the_page_says_more_exist_and_how_to_narrow_them(descalers: None,
                                                         capped: Flask) -> None:
    client = capped.test_client()
    html = client.get("/search?q=descaler").get_data(as_text=True)
    assert "More than 10 results" in html
    assert re.search(r'<p class="search-narrow" id="search-narrow">These are the best '
                     r'matches of the many searched\. Add a word or <a href="#search-company">'
                     r"pick a company</a> to narrow them\.</p>", html)
    fragment = client.get("/search?q=descaler", headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True)
    assert 'id="search-narrow"' in fragment.get_data(as_text=True)
    assert 'id="search-company"' in html  # the link's target is on the page
    few = client.get("/search?q=espresso").get_data(as_text=True)
    assert "1 result" in few and "search-narrow" not in few


def test_a_prefix_stands_for_its_most_common_words_only(
    write: Writer, index: Callable[[], int], capped: Flask,
) -> None:
    for number in range(3):
        write.thread(f"Grindstone {number}", "stone")
    for number in range(2):
        write.thread(f"Grindle {number}", "stone")
    write.thread("Grinder", "stone")
    index()
    results = visitor_search("grind*")
    assert sorted(hit.title for hit in results.hits) == [
        "Grindle 0", "Grindle 1", "Grindstone 0", "Grindstone 1", "Grindstone 2"]
    assert any("grind* was searched as the 2 most common words" in notice
               for notice in results.notices)
    assert visitor_search("grinde*").hits[0].title == "Grinder"  # more letters find it


def test_a_prefix_within_the_cap_has_no_notice(write: Writer, index: Callable[[], int],
                                               app: Flask) -> None:
    write.thread("Grindstone", "stone")
    write.thread("Grinder", "stone")
    index()
    results = visitor_search("grind*")
    assert results.total == 2 and not any("most common" in n for n in results.notices)


def test_a_repeated_search_comes_from_the_cache_until_the_index_changes(
    write: Writer, index: Callable[[], int], app: Flask,
) -> None:
    cache = get_runtime(app).cache
    write.thread("Tamper sizes", "58mm tamper")
    index()
    first = visitor_search("tamper")
    assert (cache.hits, cache.misses) == (0, 1) and first.scanned > 0
    again = visitor_search("tamper")
    assert (cache.hits, cache.misses) == (1, 1) and again.scanned == 0
    assert [hit.thread_id for hit in again.hits] == [hit.thread_id for hit in first.hits]
    assert visitor_search("tamper", sort="newest").total == 1  # another key: a miss
    assert cache.misses == 2
    write.thread("Tamper mat", "rubber tamper mat")
    index()  # a new index generation
    after = visitor_search("tamper")
    assert (cache.hits, cache.misses) == (1, 3)
    assert after.total == 2


def test_a_cached_page_still_leaves_out_what_was_hidden_since(
    write: Writer, index: Callable[[], int], app: Flask,
) -> None:
    kept = write.thread("Portafilter basket", "double basket")
    gone = write.thread("Basket cleaning", "basket brush")
    index()
    assert visitor_search("basket").total == 2
    write.change_thread(gone, hidden_at=utcnow())  # not indexed yet: same generation
    results = visitor_search("basket")
    assert get_runtime(app).cache.hits == 1
    assert [hit.thread_id for hit in results.hits] == [kept.id]


def test_the_cache_is_never_shared_between_viewers_who_see_different_spaces(
    make_company: Callable[..., Company], make_user: Callable[..., User],
    index: Callable[[], int], app: Flask,
) -> None:
    owner = make_user("olga")
    hush = make_company("hush", name="Hush Labs", owner=owner)
    Writer(hush, owner).thread("Zephyrine lamp", "zephyrine glow")
    assert privacy.set_privacy(owner, hush, True)
    index()
    cache = get_runtime(app).cache
    # Inside first, then outside: the outsider's search is a miss, and finds nothing.
    assert services.search("zephyrine", viewer=owner).total == 1
    outside = services.search("zephyrine", viewer=AnonymousUserMixin())
    assert outside.total == 0 and outside.hits == [] and outside.suggestion is None
    assert (cache.hits, cache.misses) == (0, 2)
    # Outside first on another word, then inside: the insider still finds it.
    assert services.search("glow", viewer=AnonymousUserMixin()).total == 0
    assert services.search("glow", viewer=owner).total == 1
    assert (cache.hits, cache.misses) == (0, 4)
    assert services.search("glow", viewer=owner).total == 1
    assert cache.hits == 1


def test_searches_do_not_wait_for_each_other(write: Writer, index: Callable[[], int],
                                             app: Flask) -> None:
    """Each search has a searcher of its own (a Searcher is not shared between threads):
    one taken while another is in use is a second one, and both go back to the pool."""
    write.thread("Milk jug", "steam")
    index()
    runtime = get_runtime(app)
    with runtime.searcher() as first, runtime.searcher() as second:
        assert first is not second
        assert visitor_search("steam").total == 1  # a third, while both are out
    with runtime.searcher() as reused:
        assert reused in (first, second)


def test_sorting_by_votes_shows_the_current_counts_in_order(
    write: Writer, index: Callable[[], int], app: Flask,
) -> None:
    oat = write.idea("Oat milk option", "Please add oat milk", votes=2)
    write.idea("Soy milk option", "Please add soy milk", votes=5)
    index()
    assert [hit.votes for hit in visitor_search("milk", sort="votes").hits] == [5, 2]
    write.change_idea(oat, vote_count=9)  # the indexer has not run since
    results = visitor_search("milk", sort="votes")
    assert get_runtime(app).cache.hits == 1  # the same index generation
    assert [(hit.title, hit.votes) for hit in results.hits] == [
        ("Oat milk option", 9), ("Soy milk option", 5)]


def test_each_vote_reaches_the_index_at_its_next_commit(
    write: Writer, index: Callable[[], int], make_user: Callable[..., User], app: Flask,
) -> None:
    """No vote is skipped: the indexer applies every vote event (there is no "every
    tenth vote" rule), so the order across pages is as fresh as the index."""
    oat = write.idea("Oat milk option", "Please add oat milk")
    write.idea("Soy milk option", "Please add soy milk", votes=1)
    index()
    cast_vote(make_user("vera"), idea_of(oat))
    cast_vote(make_user("walt"), idea_of(oat))
    index()
    stored = index_votes(app)
    assert stored["Oat milk option"] == 2 and stored["Soy milk option"] == 1
    assert [hit.title for hit in visitor_search("milk", sort="votes").hits] == [
        "Oat milk option", "Soy milk option"]


def index_votes(app: Flask) -> dict[str, int]:
    """The vote count each thread document holds in the index."""
    opened = get_runtime(app).store.open_current()
    with opened.index.searcher() as searcher:
        votes = searcher.reader().column_reader("votes")
        return {stored["title"]: votes[docnum]
                for docnum, stored in searcher.reader().iter_docs()
                if stored.get("doc_type") == "thread"}


def test_a_capped_scan_of_a_rebuilt_index_sees_the_newest_threads_first(
    write: Writer, capped: Flask,
) -> None:
    threads = [write.thread(f"Cleaning day {number}", "descaler tablets")
               for number in range(30)]
    rebuild(get_runtime(capped).store, db.engine)
    results = visitor_search("descaler", sort="newest")
    assert results.capped and results.scanned == CAP
    assert [hit.thread_id for hit in results.hits] == [
        thread.id for thread in reversed(threads[-CAP:])]


def test_the_cache_keeps_no_more_text_than_its_budget() -> None:
    cache = ResultCache(size=10, budget=10)
    cache.put("a", "page a", weight=4)
    cache.put("b", "page b", weight=4)
    cache.put("c", "page c", weight=4)  # 12 > 10: the least recently used goes
    cache.put("huge", "page of long posts", weight=11)  # never kept
    assert [cache.get(key) for key in ("a", "b", "c", "huge")] == [
        None, "page b", "page c", None]
