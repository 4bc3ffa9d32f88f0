"""Propose with similar ideas shown while typing, vote and unvote in place, the company
marks the idea planned with a public note, and every customer sees it and the roadmap,
signed-out visitors included (whose pages come from the page cache)."""

from __future__ import annotations

from playwright.sync_api import expect

from forum import demo
from tests.e2e.conftest import sign_in


def test_propose_vote_plan_and_see_it_on_the_roadmap(new_page, runner, run_indexer):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    run_indexer()  # similar ideas come from the search index

    customer = new_page()
    sign_in(customer, "maya", demo.PASSWORD)
    customer.goto("/c/lumen/ideas")
    customer.get_by_role("link", name="Propose an idea").click()
    customer.get_by_label("Your idea, in one line").press_sequentially("Offline mode for iPad",
                                                                      delay=20)
    similar = customer.locator("#similar")
    expect(similar).to_contain_text("Offline mode on Android")
    expect(similar).to_contain_text("Planned")
    customer.get_by_label("Why would it help you?").fill("I write on flights.")
    customer.get_by_role("button", name="Post idea").click()
    expect(customer.get_by_text("Your idea is posted, with your vote.")).to_be_visible()
    idea_url = customer.url

    voter = new_page()
    sign_in(voter, "leo", demo.PASSWORD)
    voter.goto(idea_url)
    button = voter.locator("header .vote-button")
    expect(button).to_have_attribute("aria-pressed", "false")
    expect(button.locator(".vote-count")).to_have_text("1")
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(button.locator(".vote-count")).to_have_text("2")
    assert voter.url == idea_url  # in place, no reload
    button.click()
    expect(button).to_have_attribute("aria-pressed", "false")
    expect(button.locator(".vote-count")).to_have_text("1")
    button.click()
    expect(button.locator(".vote-count")).to_have_text("2")

    visitor = new_page()  # signed out: served from the page cache once it is kept
    visitor.goto(idea_url)
    expect(visitor.locator("header.idea-head .status")).to_have_text("Open")
    visitor.reload()
    expect(visitor.locator("header .vote-button .vote-count")).to_have_text("2")

    staff = new_page()
    sign_in(staff, "priya", demo.PASSWORD)
    staff.goto(idea_url)
    staff.get_by_label("Status", exact=True).select_option("planned")
    staff.get_by_label("Public note (optional)").fill("Planned for the next iPad release.")
    staff.get_by_role("button", name="Update status").click()
    expect(staff.get_by_text("Status changed to planned.")).to_be_visible()

    for reader in (customer, voter, visitor):
        reader.goto(idea_url)
        head = reader.locator("header.idea-head")
        expect(head.locator(".status")).to_have_text("Planned")
        expect(reader.locator(".official-response")).to_contain_text(
            "Planned for the next iPad release.")
        expect(reader.locator("#posts")).to_contain_text("changed the status to Planned")
    visitor.locator("header .vote-button").click()  # signed out: sent to sign in first
    expect(visitor.get_by_role("heading", name="Sign in")).to_be_visible()
    customer.get_by_role("link", name="Lumen Notes").first.click()
    customer.get_by_role("link", name="Roadmap").click()
    planned = customer.locator("section.roadmap-column", has_text="Planned")
    expect(planned).to_contain_text("Offline mode for iPad")
    expect(planned).to_contain_text("▲ 2")
