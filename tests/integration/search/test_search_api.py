"""forum.search.services.search: what callers get back for queries, filters and sorts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlalchemy import update

from forum.accounts.models import User
from forum.companies.models import Company
from forum.database import utcnow
from forum.errors import Invalid
from forum.extensions import db
from forum.threads.models import Post, Thread
from tests.integration.search.helpers import Writer, found_titles


def test_phrases_exclusions_and_prefixes(
    write: Writer, index: Callable[[], int], find: Callable
) -> None:
    write.thread("Dark mode", "Please add a dark mode to the app")
    write.thread("Mode dark", "dark roast has a mode of its own")
    write.thread("Exporting receipts", "Export to PDF")
    index()
    assert found_titles(find('"dark mode"')) == ["Dark mode"]
    assert found_titles(find("dark -roast")) == ["Dark mode"]
    assert found_titles(find("expo*")) == ["Exporting receipts"]
    assert "<mark>Exporting</mark>" in find("expo*").hits[0].title_html


def test_relevance_ranks_title_matches_first(
    write: Writer, index: Callable[[], int], find: Callable
) -> None:
    write.thread("Other topic", "the espresso machine is mentioned once")
    write.thread("Espresso machine", "all about the espresso machine")
    index()
    assert found_titles(find("espresso")) == ["Espresso machine", "Other topic"]


def test_newest_sort_uses_the_latest_matching_post(
    write: Writer, index: Callable[[], int], find: Callable
) -> None:
    old = write.thread("Old grinder", "grinder talk")
    write.thread("New grinder", "grinder talk")
    index()
    assert found_titles(find("grinder", sort="newest")) == ["New grinder", "Old grinder"]
    write.reply(old, "grinder news today")
    index()
    assert found_titles(find("grinder", sort="newest")) == ["Old grinder", "New grinder"]


def test_pages_and_totals_count_threads_not_posts(
    write: Writer, index: Callable[[], int], find: Callable
) -> None:
    for number in range(23):
        thread = write.thread(f"Bean origin {number:02d}", "single origin beans")
        if number % 5 == 0:
            write.reply(thread, "more about beans")
    index()
    first = find("beans", per_page=10, sort="newest")
    last = find("beans", per_page=10, page=3, sort="newest")
    assert (first.total, first.pages, len(first.hits)) == (23, 3, 10)
    assert first.has_next and not first.has_previous
    assert (last.page, len(last.hits), last.has_next) == (3, 3, False)
    every = found_titles(first) + found_titles(find("beans", per_page=10, page=2,
                                                    sort="newest")) + found_titles(last)
    assert sorted(every) == [f"Bean origin {number:02d}" for number in range(23)]
    assert find("beans", per_page=10, page=5).hits == []


@pytest.mark.parametrize("sort", ["relevance", "newest"])
def test_threads_are_counted_only_as_far_as_anyone_can_page(
    write: Writer, index: Callable[[], int], find: Callable, sort: str
) -> None:
    for number in range(53):
        write.thread(f"Kettle {number:02d}", "the kettle whistles")
    index()
    capped = find("kettle", per_page=1, sort=sort)  # 50 pages of one: counting stops at 50
    assert (capped.total, capped.more, capped.pages, capped.has_next) == (50, True, 50, True)
    assert len(find("kettle", per_page=1, page=50, sort=sort).hits) == 1
    exact = find("kettle", per_page=2, sort=sort)
    assert (exact.total, exact.more, exact.pages) == (53, False, 27)


@pytest.mark.parametrize("sort", ["relevance", "newest", "votes"])
def test_a_thread_with_many_matching_posts_does_not_crowd_out_the_others(
    write: Writer, index: Callable[[], int], find: Callable, sort: str
) -> None:
    busy = write.thread("Grinder noise", "grinder grinder grinder")
    for number in range(40):
        write.reply(busy, f"grinder grinder again, reply {number}")
    for number in range(5):
        write.thread(f"Other thread {number}", "a grinder mentioned once")
    index()
    pages = [find("grinder", per_page=2, page=page, sort=sort) for page in (1, 2, 3)]
    assert [page.total for page in pages] == [6, 6, 6]
    titles = [title for page in pages for title in found_titles(page)]
    assert sorted(titles) == ["Grinder noise"] + [f"Other thread {n}" for n in range(5)]


def test_filters_by_company_kind_author_and_dates(
    write: Writer, index: Callable[[], int], find: Callable,
    make_company: Callable[..., Company], make_user: Callable[..., User],
) -> None:
    other = make_company("globex")
    bob = make_user("bob")
    question = write.thread("Filter question", "water filter", kind="question")
    write.thread("Filter problem", "water filter broke", kind="problem", company=other)
    answer = write.reply(question, "change the water filter monthly", author=bob)
    old = write.thread("Ancient filter", "water filter of old", kind="question")
    db.session.execute(update(Thread).where(Thread.id == old.id).values(
        created_at=utcnow() - timedelta(days=400)))
    db.session.execute(update(Post).where(Post.thread_id == old.id).values(
        created_at=utcnow() - timedelta(days=400)))
    db.session.commit()
    write.change_thread(old)
    index()
    assert found_titles(find("water", company_id=other.id)) == ["Filter problem"]
    assert sorted(found_titles(find("water", kind="question"))) == [
        "Ancient filter", "Filter question"]
    by_bob = find("water", author="BOB")
    assert found_titles(by_bob) == ["Filter question"]
    assert "monthly" in by_bob.hits[0].snippet
    recent = find("water", date_from=date.today() - timedelta(days=30),
                  date_to=date.today())
    assert "Ancient filter" not in found_titles(recent) and recent.total == 2
    assert found_titles(find("water", date_to=date.today() - timedelta(days=300))) == [
        "Ancient filter"]
    assert answer.id


def test_filters_alone_list_matching_threads(
    write: Writer, index: Callable[[], int], find: Callable
) -> None:
    write.idea("Planned thing", "x", status="planned", tags=("Mobile",))
    write.idea("Open thing", "y", status="open", tags=("Mobile",))
    write.thread("Not an idea", "z")
    index()
    assert found_titles(find("", status="planned")) == ["Planned thing"]
    assert sorted(found_titles(find("", tag="mobile"))) == ["Open thing", "Planned thing"]
    assert find("").total == 0 and find("").hits == []


def test_did_you_mean_only_when_few_hits(
    write: Writer, index: Callable[[], int], find: Callable
) -> None:
    write.thread("Espresso machine", "espresso espresso")
    index()
    missed = find("expresso machine")
    assert missed.suggestion == "espresso machine"
    assert find("espresso").suggestion is None


def test_queries_with_nothing_to_search_explain_why(find: Callable, index: Callable) -> None:
    index()
    assert "not only words to leave out" in find("-milk").notices[-1]
    assert "too common" in find("the and of").notices[-1]
    assert any("end of a word" in notice for notice in find("*milk").notices)


def test_text_in_other_scripts_is_found(
    write: Writer, index: Callable[[], int], find: Callable
) -> None:
    write.thread("東京の店舗", "東京都に新しい店舗を開いてください")
    write.thread("Кофе без кофеина", "Пожалуйста, добавьте кофе без кофеина")
    write.thread("قهوة عربية", "نريد قهوة عربية في القائمة")
    index()
    assert found_titles(find("東京都")) == ["東京の店舗"]
    assert "<mark>東京都</mark>" in find("東京都").hits[0].snippet
    assert found_titles(find("кофеина")) == ["Кофе без кофеина"]
    assert found_titles(find("قهوة")) == ["قهوة عربية"]


def test_snippets_escape_what_people_wrote(
    write: Writer, index: Callable[[], int], find: Callable
) -> None:
    write.thread("Script kiddie", "`<script>alert('x')</script>` and <img src=x onerror=alert(1)>")
    index()
    hit = find("script").hits[0]
    assert "<script" not in hit.snippet and "<img" not in hit.snippet
    assert "&lt;<mark>script</mark>&gt;" in hit.snippet


def test_thread_urls_follow_the_kind(
    write: Writer, index: Callable[[], int], find: Callable
) -> None:
    idea = write.idea("Loyalty card", "stamps")
    thread = write.thread("Loyalty question", "stamps?", kind="question")
    index()
    urls = {hit.title: hit.url for hit in find("loyalty").hits}
    assert urls == {"Loyalty card": f"/c/acme/ideas/{idea.id}-loyalty-card",
                    "Loyalty question": f"/c/acme/t/{thread.id}-loyalty-question"}


@pytest.mark.parametrize("arguments", [
    {"sort": "random"}, {"page": 0}, {"page": 10_000}, {"per_page": 0}, {"kind": "rant"},
])
def test_bad_arguments_are_refused(find: Callable, arguments: dict) -> None:
    with pytest.raises(Invalid):
        find("milk", **arguments)
