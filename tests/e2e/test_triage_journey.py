"""A product team's morning in a real browser: the inbox shows what came in, three new
ideas are planned at once with one note (by keyboard for one of them), and a voter of
each hears of it."""

from __future__ import annotations

from playwright.sync_api import expect

from forum.extensions import db
from forum.notifications.runtime import get_notifier_runtime
from ideas.votes import cast_vote
from tests.conftest import PASSWORD
from tests.e2e.conftest import sign_in


def test_a_team_plans_three_new_ideas_and_each_voter_hears(
        app, new_page, make_company, make_staff, make_idea, make_user):
    company = make_company("acme", name="Acme")
    make_staff(company, "team", "tess")
    ideas = [make_idea(company, title=f"Wanted thing {n}") for n in range(1, 4)]
    voters = [make_user(f"voter{n}") for n in range(1, 4)]
    for voter, idea in zip(voters, ideas, strict=True):
        cast_vote(voter, idea)
    db.session.commit()

    team = new_page(width=1200, height=900)
    sign_in(team, "tess", PASSWORD)
    team.goto("/c/acme/manage/ideas")
    expect(team.get_by_text("3 untriaged")).to_be_visible()
    rows = team.locator("[data-inbox-row]")
    expect(rows).to_have_count(3)
    team.get_by_label("Select “Wanted thing 3”").check()
    team.get_by_label("Select “Wanted thing 2”").check()
    team.get_by_label("Select “Wanted thing 2”").focus()
    team.keyboard.press("j")  # to the next idea, and x selects it
    team.keyboard.press("x")
    expect(team.get_by_label("Select “Wanted thing 1”")).to_be_checked()
    team.get_by_label("Do", exact=True).select_option("status")
    team.get_by_label("Status (s)").select_option("planned")
    team.get_by_label("Public note").fill("All three are in the spring release.")
    team.get_by_role("button", name="Apply to the selected ideas").click()
    expect(team.get_by_text("3 ideas now planned.")).to_be_visible()
    expect(team.locator(".inbox-row.untriaged")).to_have_count(0)

    get_notifier_runtime(app).notifier().run_until_idle()
    for voter, idea in zip(voters, ideas, strict=True):
        page = new_page()
        sign_in(page, voter.username, PASSWORD)
        page.goto("/notifications")
        expect(page.get_by_role("link", name=f"“{idea.thread.title}” is now planned")) \
            .to_be_visible()
