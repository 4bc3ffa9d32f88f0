"""more_like_this for ideas: likely duplicates of a new idea, in one company, above a threshold."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from forum.companies.models import Company
from forum.search.runtime import get_runtime
from forum.search.similar import similar_thread_ids
from forum.threads.models import Kind
from tests.integration.search.helpers import Writer, similar_ideas


def board(write: Writer) -> dict[str, int]:
    ideas = {
        "dark": write.idea("Add a dark theme", "Night mode for the mobile app, easier on eyes"),
        "crash": write.idea("Mobile app crashes at login", "The app closes when I log in"),
        "csv": write.idea("Export invoices as CSV", "Accounting needs a CSV export"),
        "loyalty": write.idea("Loyalty stamps in the app", "Collect stamps for free coffee"),
    }
    write.thread("Dark theme question", "Is there a dark theme?", kind="question")
    return {name: thread.id for name, thread in ideas.items()}


def test_a_duplicate_is_found_and_unrelated_ideas_are_not(
    write: Writer, index: Callable[[], int]
) -> None:
    ids = board(write)
    index()
    found = similar_ideas(write.company.id, "Dark mode for the mobile app",
                          "The app is too bright at night, please add a dark theme")
    assert found == [ids["dark"]]


def test_nothing_related_gives_nothing(write: Writer, index: Callable[[], int]) -> None:
    board(write)
    index()
    assert similar_ideas(write.company.id, "Bigger cups for takeaway orders") == []
    assert similar_ideas(write.company.id, "the of and") == []
    assert similar_ideas(write.company.id, "") == []


def test_results_are_ordered_and_limited(write: Writer, index: Callable[[], int]) -> None:
    first = write.idea("CSV export of invoices", "csv invoices export")
    second = write.idea("Invoices as CSV files", "invoices csv")
    write.idea("Export invoices", "pdf please")
    index()
    found = similar_ideas(write.company.id, "Export invoices to CSV", limit=2)
    assert len(found) == 2 and set(found) <= {first.id, second.id} | set(found)
    assert similar_ideas(write.company.id, "Export invoices to CSV", limit=1) == found[:1]


def test_scoped_to_one_company_and_excluding_the_idea_itself(
    write: Writer, index: Callable[[], int], make_company: Callable[..., Company]
) -> None:
    other = make_company("globex")
    mine = write.idea("Oat milk option", "Please add oat milk")
    theirs = write.idea("Oat milk option", "Please add oat milk", company=other)
    index()
    assert similar_ideas(write.company.id, "Oat milk option") == [mine.id]
    assert similar_ideas(other.id, "Oat milk option") == [theirs.id]
    assert similar_ideas(write.company.id, "Oat milk option", exclude_thread_id=mine.id) == []


def test_without_an_index_it_answers_empty_instead_of_failing(write: Writer) -> None:
    write.idea("Oat milk option", "Please add oat milk")
    assert similar_ideas(write.company.id, "Oat milk") == []


def test_the_lookup_looks_at_no_more_than_its_cap(
    write: Writer, index: Callable[[], int], app: Flask
) -> None:
    ideas = [write.idea(f"Oat milk option {number}", "Please") for number in range(6)]
    index()
    with get_runtime(app).searcher() as searcher:
        def lookup(cap: int) -> list[int]:
            return similar_thread_ids(searcher, write.company.id, Kind.IDEA, "Oat milk option",
                                      "", limit=10, exclude_thread_id=None, cap=cap)
        assert set(lookup(cap=0)) == {idea.id for idea in ideas}
        assert set(lookup(cap=2)) <= {idea.id for idea in ideas}
        assert len(lookup(cap=2)) == 2


def test_a_title_typed_is_matched_on_titles_only(write: Writer, index: Callable[[], int]
                                                ) -> None:
    by_title = write.idea("Oat milk option", "Please")
    write.idea("Soy drinks", "An oat milk option would be nice too")
    index()
    assert similar_ideas(write.company.id, "Oat milk option") == [by_title.id]


def test_a_title_typed_steps_through_its_own_companys_ideas_only(
    write: Writer, index: Callable[[], int], app: Flask, make_company: Callable[..., Company]
) -> None:
    """Another company's ideas and this company's questions with the same words are not
    stepped through (`scoped_title`): a lookup that may look at 2 documents finds this
    company's two ideas, whatever else has the words."""
    other = make_company("globex")
    mine = [write.idea(f"Oat milk option for us {number}", "Please") for number in range(2)]
    for number in range(20):  # newer, as long: searched first
        write.idea(f"Oat milk option {number}", "Please", company=other)
        write.thread(f"Oat milk option question {number}", "Is there?", kind="question")
    index()
    with get_runtime(app).searcher() as searcher:
        found = similar_thread_ids(searcher, write.company.id, Kind.IDEA, "Oat milk option",
                                   "", limit=10, exclude_thread_id=None, cap=2)
    assert sorted(found) == sorted(idea.id for idea in mine)
