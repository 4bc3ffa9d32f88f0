"""A visitor searches from the header, narrows the results as they type and by status,
and finds the link to the idea, in a real browser."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import expect

from forum.accounts.models import User
from forum.companies.models import Company
from forum.search.runtime import get_runtime
from tests.integration.search.helpers import Writer


@pytest.fixture(autouse=True)
def index_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The live app and the test share an index directory of this test's own."""
    monkeypatch.setenv("SEARCH_INDEX_DIR", str(tmp_path / "search-index"))
    return tmp_path / "search-index"


@pytest.fixture
def ideas(app: Flask, make_company: Callable[..., Company],
          make_user: Callable[..., User]) -> dict[str, int]:
    write = Writer(make_company("acme", name="Acme Coffee"), make_user("alice"))
    oat = write.idea("Oat milk option", "Please add oat milk to the menu", status="planned",
                     votes=12)
    soy = write.idea("Soy milk option", "Soy milk for lattes", status="open", votes=3)
    frother = write.thread("Milk frother broken", "The steam wand spits milk",
                           kind="problem")
    indexer = get_runtime(app).indexer()
    assert indexer.open_or_rebuild() is not None
    return {"oat": oat.id, "soy": soy.id, "frother": frother.id}


def test_search_from_the_header_then_narrow_and_filter(page, ideas: dict[str, int]) -> None:
    page.goto("/")
    header_search = page.get_by_role("search").first
    header_search.get_by_label("Search Cocreate").fill("milk")
    header_search.get_by_label("Search Cocreate").press("Enter")

    expect(page).to_have_url(re.compile(r"/search\?q=milk$"))
    expect(page.get_by_role("heading", name="Search", exact=True)).to_be_visible()
    results = page.locator("#search-results")
    expect(results.get_by_text("3 results")).to_be_visible()
    expect(results.locator("mark").first).to_have_text(re.compile("milk", re.I))
    expect(results.get_by_role("link", name="Milk frother broken")).to_be_visible()

    # Active search: the results follow the typing, without a page load.
    page.get_by_label("Search for").fill("oat milk")
    expect(results.get_by_text("1 result", exact=False)).to_be_visible()
    expect(results.get_by_role("link", name="Soy milk option")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/search\?q=oat(\+|%20)milk$"))

    page.get_by_label("Search for").fill("milk")
    expect(results.get_by_text("3 results")).to_be_visible()
    page.get_by_text("Filters and sort").click()
    page.get_by_label("Idea status").select_option("planned")
    expect(results.get_by_text("1 result", exact=False)).to_be_visible()
    link = results.get_by_role("link", name="Oat milk option")
    expect(link).to_be_visible()
    expect(link).to_have_attribute("href", f"/c/acme/ideas/{ideas['oat']}-oat-milk-option")
    expect(results.get_by_text("Planned")).to_be_visible()
    expect(results.get_by_text("12 votes")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/search\?q=milk&status=planned$"))


def test_the_search_page_works_without_javascript(browser, live_server,
                                                  ideas: dict[str, int]) -> None:
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/search")
        page.get_by_label("Search for").fill("milk")
        page.get_by_text("Filters and sort").click()
        page.get_by_label("Idea status").select_option("open")
        page.get_by_role("button", name="Search", exact=True).last.click()
        expect(page).to_have_url(re.compile(r"q=milk.*status=open"))
        expect(page.get_by_role("link", name="Soy milk option")).to_be_visible()
        expect(page.get_by_text("1 result", exact=False)).to_be_visible()
    finally:
        context.close()


def test_a_customer_finds_a_thread_by_a_word_in_one_of_its_replies(
        page, app: Flask, make_company, make_staff, make_idea, make_reply,
        run_indexer) -> None:
    from ideas import services as ideas

    acme, zeta = make_company("acme", name="Acme Coffee"), make_company("zeta", name="Zeta")
    staff = make_staff(acme, "team")
    wanted = make_idea(acme, title="Quieter espresso machines")
    make_reply(wanted.thread, body="The burr grinder is the loudest part by far.")
    ideas.change_status(staff, wanted, "planned", "We are testing a quieter one.")
    open_one = make_idea(acme, title="Bigger water tank")
    make_reply(open_one.thread, body="My grinder clogs when the tank is low.")
    elsewhere = make_idea(zeta, title="Better planning boards")
    make_reply(elsewhere.thread, body="A grinder of tasks, every sprint.")
    ideas.change_status(make_staff(zeta, "team"), elsewhere, "planned")
    run_indexer()  # what the worker does within a second of each commit

    page.goto("/")
    page.get_by_role("search").first.get_by_label("Search Cocreate").fill("grinder")
    page.get_by_role("search").first.get_by_label("Search Cocreate").press("Enter")
    results = page.locator("#search-results")
    expect(results.get_by_text("3 results")).to_be_visible()

    page.get_by_text("Filters and sort").click()
    page.get_by_label("Company").select_option("acme")
    expect(results.get_by_text("2 results")).to_be_visible()
    page.get_by_label("Idea status").select_option("planned")
    expect(results.get_by_text("1 result", exact=False)).to_be_visible()
    expect(results.locator("mark")).to_have_text(["grinder"])
    expect(results.get_by_text("The burr grinder is the loudest part")).to_be_visible()

    results.get_by_role("link", name="Quieter espresso machines").click()
    expect(page).to_have_url(re.compile(rf"/c/acme/ideas/{wanted.thread_id}-"))
    expect(page.get_by_text("The burr grinder is the loudest part by far.")).to_be_visible()
    expect(page.get_by_text("We are testing a quieter one.").first).to_be_visible()
