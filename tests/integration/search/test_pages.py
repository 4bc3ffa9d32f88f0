"""The search pages through the test client: form, filters, sort, pages, htmx, bad input."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from forum.companies.models import Company
from forum.search import services
from tests.integration.search.helpers import Writer, slugify

HTMX = {"HX-Request": "true"}


@pytest.fixture
def coffee(write: Writer, index: Callable[[], int], make_company: Callable[..., Company]) -> None:
    other = make_company("globex", name="Globex Tea")
    planned = write.idea("Oat milk option", "Please add <oat> milk", status="planned",
                         votes=7, tags=("Menu",))
    write.reply(planned, "Oat milk would be great")
    write.idea("Soy milk option", "Soy milk please", votes=2)
    write.thread("Milk frother broken", "The frother stopped", kind="problem")
    write.thread("Milk tea", "Do you sell milk tea?", kind="question", company=other)
    index()


def hit_titles(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", title) for title in
            re.findall(r'class="search-hit-title"><a href="[^"]+">(.*?)</a>', html)]


def test_the_header_has_a_labelled_search_box_on_every_page(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    assert re.search(r'<form class="site-search" role="search" aria-label="Site" '
                     r'action="/search"', html)
    assert '<label class="visually-hidden" for="site-search-q">' in html
    assert 'id="site-search-q"' in html


def test_the_search_page_without_a_query_invites_one(client: FlaskClient) -> None:
    response = client.get("/search")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Type a few words" in html
    assert 'aria-live="polite"' in html and 'id="search-results"' in html


def test_results_are_grouped_highlighted_and_counted(client: FlaskClient, coffee: None) -> None:
    html = client.get("/search?q=milk").get_data(as_text=True)
    assert "4 results" in html
    assert sorted(hit_titles(html)) == sorted(["Oat milk option", "Soy milk option",
                                               "Milk frother broken", "Milk tea"])
    assert "<mark>milk</mark>" in html.lower()
    assert "&lt;oat&gt;" in html and "<oat>" not in html
    assert 'href="/c/acme/ideas/' in html and 'href="/c/acme/t/' in html
    assert "Planned" in html and "7 votes" in html and "1 reply" in html


def test_filters_narrow_the_results(client: FlaskClient, coffee: None) -> None:
    def titles(query: str) -> list[str]:
        response = client.get(f"/search?{query}")
        assert response.status_code == 200
        return hit_titles(response.get_data(as_text=True))

    assert titles("q=milk&company=globex") == ["Milk tea"]
    assert titles("q=milk&status=planned") == ["Oat milk option"]
    assert titles("q=milk&kind=problem") == ["Milk frother broken"]
    assert titles("q=milk&tag=Menu") == ["Oat milk option"]
    assert titles("q=milk&author=nobody") == []
    assert titles("q=milk&kind=idea&sort=votes") == ["Oat milk option", "Soy milk option"]
    assert titles("status=planned") == ["Oat milk option"]


def test_the_company_search_is_scoped(client: FlaskClient, coffee: None) -> None:
    html = client.get("/c/globex/search?q=milk").get_data(as_text=True)
    assert hit_titles(html) == ["Milk tea"]
    assert "Search Globex Tea" in html
    assert client.get("/c/nowhere/search?q=milk").status_code == 404


def test_pages_link_to_each_other(client: FlaskClient, write: Writer,
                                  index: Callable[[], int]) -> None:
    for number in range(25):
        write.thread(f"Roast {number:02d}", "roast profile")
    index()
    html = client.get("/search?q=roast&sort=newest").get_data(as_text=True)
    assert "25 results" in html and "page 1 of 2" in html
    assert len(hit_titles(html)) == 20
    next_link = re.search(r'rel="next" href="([^"]+)"', html)
    assert next_link and "page=2" in next_link.group(1) and "sort=newest" in next_link.group(1)
    second = client.get(next_link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert len(hit_titles(second)) == 5 and 'rel="prev"' in second


def test_a_count_that_stopped_early_says_there_are_more(
    client: FlaskClient, write: Writer, index: Callable[[], int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for number in range(21):
        write.thread(f"Descaler {number}", "descaler tablets")
    index()
    monkeypatch.setattr(services, "MAX_PAGE", 1)  # so threads are counted up to 20
    html = client.get("/search?q=descaler").get_data(as_text=True)
    assert "More than 20 results" in html and len(hit_titles(html)) == 20


def test_did_you_mean_links_to_the_corrected_search(client: FlaskClient, coffee: None) -> None:
    html = client.get("/search?q=frothr").get_data(as_text=True)
    assert "Did you mean" in html
    assert 'href="/search?q=frother"' in html


def test_htmx_gets_the_results_fragment_only(client: FlaskClient, coffee: None) -> None:
    full = client.get("/search?q=milk")
    fragment = client.get("/search?q=milk", headers=HTMX)
    assert "HX-Request" in full.headers["Vary"] and "HX-Request" in fragment.headers["Vary"]
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and "site-header" not in body
    assert fragment.headers["HX-Push-Url"] == "/search?q=milk"
    assert "4 results" in body
    assert hit_titles(body) == hit_titles(full.get_data(as_text=True))
    boosted = client.get("/search?q=milk", headers={**HTMX, "HX-Boosted": "true"})
    assert "<html" in boosted.get_data(as_text=True)
    restore = client.get("/search?q=milk", headers={**HTMX, "HX-History-Restore-Request":
                                                    "true"})
    assert "<html" in restore.get_data(as_text=True)


def test_the_form_is_wired_for_active_search(client: FlaskClient) -> None:
    html = client.get("/search").get_data(as_text=True)
    search_input = re.search(r'<input id="search-q"[^>]+>', html, re.S)
    assert search_input
    assert 'hx-trigger="input changed delay:300ms, search"' in search_input.group(0)
    assert 'hx-target="#search-results"' in search_input.group(0)
    assert '<label for="search-q">' in html


@pytest.mark.parametrize(("query", "message"), [
    ("kind=rant", "Choose a kind"), ("status=Planned!", "Choose a status"),
    ("sort=random", "Sort by"), ("page=abc", "Pages go"), ("page=0", "Pages go"),
    ("page=999", "Pages go"), ("date_from=yesterday", "YYYY-MM-DD"),
    ("date_from=2024-05-02&date_to=2024-05-01", "end date"), ("company=nowhere", "no company"),
    ("tag=" + "x" * 41, "40 characters"), ("author=" + "y" * 31, "30 characters"),
])
def test_bad_filters_get_a_clear_message(client: FlaskClient, query: str, message: str) -> None:
    response = client.get(f"/search?q=milk&{query}")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


NASTY = [
    "", "-", "*", "?", '"', '"unbalanced', "- -", "*milk", "?milk", "m*lk", "milk*",
    "a" * 5_000, "\x00\x01\x02milk", "%00", "東京都", "مرحبا", "Привет", "🙂", "milk^2",
    "title:milk", "[a TO z]", "(milk", "milk)", "NOT milk", "milk OR", "<script>", "' OR 1=1",
    "\\", "\u202e", "-\"milk\"", '"milk', "milk -", "--milk", "milk~", "{milk}",
]


@pytest.mark.parametrize("text", NASTY)
def test_nasty_queries_never_fail(client: FlaskClient, coffee: None, text: str) -> None:
    for headers in ({}, HTMX):
        response = client.get("/search", query_string={"q": text}, headers=headers)
        assert response.status_code == 200, text
    assert client.get("/c/acme/search", query_string={"q": text}).status_code == 200


def test_a_long_query_says_it_was_shortened(client: FlaskClient, coffee: None) -> None:
    html = client.get("/search", query_string={"q": "milk " * 200}).get_data(as_text=True)
    assert "shortened to 200 characters" in html


def test_slugify_helper_matches_urls() -> None:
    assert slugify("Oat milk option!") == "oat-milk-option"
