"""On an idea's page, a vote or its retraction shows in the voter list and its count at
once, with the focus kept on the button; a team member records a customer's vote from
the staff panel and the list says who recorded it."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import settled, sign_in


def test_the_voter_list_follows_votes_and_recorded_votes(new_page, make_company, make_staff,
                                                         make_user, make_idea):
    acme = make_company("acme", name="Acme")
    make_staff(acme, "team", "tess")
    idea = make_idea(acme, title="Descale reminders")
    make_user("bob", display_name="Bob Stone")
    make_user("carol", display_name="Carol Jones")
    url = f"/c/acme/ideas/{idea.thread_id}-{idea.thread.slug}"

    voter = new_page()
    sign_in(voter, "bob", PASSWORD)
    voter.goto(url)
    voters = voter.locator("#voters")
    expect(voters.get_by_role("heading")).to_have_text("1 vote")
    expect(voters).not_to_contain_text("Bob Stone")
    button = voter.locator("header .vote-button")
    settled(voter)
    button.focus()
    voter.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(voters.get_by_role("heading")).to_have_text("2 votes")
    expect(voters.get_by_role("link", name="Bob Stone")).to_be_visible()
    expect(button).to_be_focused()  # the keyboard user can take it back at once
    importance = voter.get_by_label("How important is this to you?")
    settled(voter)
    importance.select_option(label="Critical")  # offered once she has voted
    expect(voter.locator("#importance-hint")).to_have_text(
        "Saved: Acme sees it with your vote.")
    settled(voter)
    button.focus()
    voter.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-pressed", "false")
    expect(voters.get_by_role("heading")).to_have_text("1 vote")
    expect(voters).not_to_contain_text("Bob Stone")
    expect(importance).to_have_count(0)  # no vote, nothing to weigh
    assert voter.url.endswith(url)  # in place, no reload

    staff = new_page()
    sign_in(staff, "tess", PASSWORD)
    staff.goto(url)
    form = staff.locator("#record-vote")
    form.get_by_label("Their username or email address").fill("carol")
    form.get_by_role("button", name="Record their vote").click()
    expect(form.get_by_role("status")).to_have_text(
        "Vote recorded for @carol. They will hear of it.")
    expect(staff.locator("#voters").get_by_role("heading")).to_have_text("2 votes")
    expect(staff.locator("#voters")).to_contain_text("Carol Jones")
    expect(staff.locator("#voters")).to_contain_text("recorded by tess (Acme)")
    form.get_by_label("Their username or email address").fill("carol")
    form.get_by_role("button", name="Record their vote").click()
    expect(form.get_by_role("alert")).to_contain_text(
        "@carol has voted for this idea already: nothing changed.")
    expect(staff.locator("#voters").get_by_role("heading")).to_have_text("2 votes")

    voter.reload()  # the customer sees it too, as her vote
    expect(voter.locator("#voters")).to_contain_text("recorded by tess (Acme)")
