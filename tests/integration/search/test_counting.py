"""Counts per facet: threads per company, kind and status, within the scan cap."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask_login import AnonymousUserMixin

from forum.companies.models import Company
from forum.search import services
from tests.integration.search.helpers import Writer


@pytest.fixture
def milk(write: Writer, index: Callable[[], int], make_company: Callable[..., Company]) -> None:
    other = make_company("globex", name="Globex Tea")
    oat = write.idea("Oat milk option", "Please add oat milk", status="planned")
    write.reply(oat, "Oat milk would be great")  # a second document: the thread counts once
    write.idea("Soy milk option", "Soy milk please")
    write.thread("Milk frother broken", "The frother stopped", kind="problem")
    write.thread("Milk tea", "Do you sell milk tea?", kind="question", company=other)
    index()


def facet_counts(results: services.SearchResults) -> dict[str, list[tuple[str, int]]]:
    return {facet.name: [(value.label, value.count) for value in facet.values]
            for facet in results.facets}


def test_each_company_kind_and_status_counts_its_threads(milk: None, app: Flask) -> None:
    results = services.search("milk", viewer=AnonymousUserMixin())
    assert results.total == 4 and not results.more
    assert facet_counts(results) == {
        "company": [("Acme Coffee", 3), ("Globex Tea", 1)],
        "kind": [("Idea", 2), ("Problem", 1), ("Question", 1)],
        "status": [("Open", 1), ("Planned", 1)],
    }


def test_a_chosen_filter_is_not_offered_again(milk: None, app: Flask) -> None:
    results = services.search("milk", viewer=AnonymousUserMixin(), kind="idea")
    assert facet_counts(results) == {"company": [("Acme Coffee", 2)],
                                     "status": [("Open", 1), ("Planned", 1)]}


def test_the_page_links_each_count_to_its_filter(milk: None, app: Flask) -> None:
    html = app.test_client().get("/search?q=milk").get_data(as_text=True)
    assert re.search(r'<nav class="search-facets" aria-labelledby="search-facets-title">',
                     html)
    assert re.search(r'<a href="/search\?q=milk&amp;company=acme">Acme Coffee</a> '
                     r'<span class="muted">3</span>', html)
    assert re.search(r'<a href="/search\?q=milk&amp;kind=problem">Problem</a> '
                     r'<span class="muted">1</span>', html)
    assert "Counted among the first" not in html
    scoped = app.test_client().get("/c/globex/search?q=milk").get_data(as_text=True)
    assert "company=" not in scoped  # one company's search has no company facet


def test_counts_stopped_by_the_cap_are_marked_as_lower_bounds(
    milk: None, app_factory: Callable[..., Flask],
) -> None:
    capped = app_factory(SEARCH_SCAN_CAP=2)
    with capped.app_context():
        results = services.search("milk", viewer=AnonymousUserMixin())
        assert results.more and results.total <= 2
        assert sum(count for _label, count in facet_counts(results)["kind"]) == results.total
        html = capped.test_client().get("/search?q=milk").get_data(as_text=True)
    assert re.search(r'<span class="muted">[0-9]+\+</span>', html)
    assert "Counted among the first" in html
