"""A product team makes the status list its own on a phone, in a real browser: adds an
active status, moves it first, renames another, removes one after saying where its ideas
go; the roadmap follows and a customer can still vote."""

from __future__ import annotations

from playwright.sync_api import expect

from forum.extensions import db
from ideas import services
from tests.conftest import PASSWORD
from tests.e2e.conftest import settled, sign_in


def test_a_team_reshapes_its_statuses_and_the_roadmap_follows(
        new_page, make_company, make_staff, make_idea, make_user):
    company = make_company("acme", name="Acme")
    tess = make_staff(company, "team", "tess")
    idea = make_idea(company, title="Quieter grinder")
    services.change_status(tess, idea, "planned", "Soon.")
    make_user("cora")
    db.session.commit()

    team = new_page()  # a phone
    sign_in(team, "tess", PASSWORD)
    team.goto("/c/acme/manage")
    team.get_by_role("link", name="Statuses").click()
    team.get_by_label("Name of the new status").fill("Next up")
    team.get_by_label("Category").select_option("active")
    team.get_by_role("button", name="Add status").click()
    expect(team.get_by_text("Status “Next up” added (active).")).to_be_visible()
    team.get_by_role("button", name="Move Next up up").click()  # in place, by htmx
    expect(team.locator("#status-list [role=status]")).to_have_text("“Next up” moved up.")
    expect(team.get_by_role("button", name="Move Next up up")).to_have_attribute(
        "autofocus", "")  # the swapped-in button, not the one clicked
    expect(team.get_by_role("button", name="Move Next up up")).to_be_focused()
    settled(team)
    team.keyboard.press("Enter")  # first of its category: the focus moves to "down"
    expect(team.get_by_role("button", name="Move Next up up")).to_be_disabled()
    expect(team.get_by_role("button", name="Move Next up down")).to_be_focused()
    expect(team.locator("#category-active ~ ol .status")).to_have_text(
        ["Next up", "Planned", "In progress"])

    team.locator("#status-in_progress summary").click()
    team.get_by_label("New name for In progress").fill("Being built")
    team.locator("#status-in_progress").get_by_role("button", name="Rename").click()
    expect(team.get_by_text("Renamed to “Being built”.")).to_be_visible()

    team.get_by_role("link", name="Remove Planned").click()
    expect(team.get_by_text("1 idea has this status.")).to_be_visible()
    team.get_by_label("Move its ideas to").select_option(label="Being built")
    team.get_by_role("button", name="Remove the status").click()
    expect(team.get_by_text("Status “Planned” removed. Its 1 idea moved to “Being built”.")) \
        .to_be_visible()

    team.goto("/c/acme/roadmap")
    headings = team.locator(".roadmap-column h2 .status")
    expect(headings).to_have_text(["Next up", "Being built", "Shipped"])
    expect(team.get_by_role("region", name="Being built")).to_contain_text("Quieter grinder")

    customer = new_page()
    sign_in(customer, "cora", PASSWORD)
    customer.goto(f"/c/acme/ideas/{idea.thread_id}-{idea.thread.slug}")
    expect(customer.locator(".idea-meta .status")).to_have_text("Being built")
    customer.get_by_role("button", name="Vote for Quieter grinder").click()
    expect(customer.get_by_role("button", name="Remove your vote for Quieter grinder")) \
        .to_be_visible()
