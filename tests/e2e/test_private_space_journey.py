"""An owner makes the company's space private (after a confirmation that says who loses
sight of it) and invites a customer; the guest reads it, someone else gets "not found"
and no longer finds it in the directory."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import settled, sign_in


def test_an_owner_makes_the_space_private_and_invites_a_guest(new_page, make_company,
                                                              make_user, make_idea):
    owner_account = make_user("olga")
    hush = make_company("hush", name="Hush Labs", owner=owner_account)
    make_idea(make_company("open", name="Open Works", owner=make_user("oscar")),
              title="Brighter lamps")
    idea = make_idea(hush, title="A quiet mode for the lab")
    make_user("gita")
    make_user("otto")

    owner = new_page()
    sign_in(owner, "olga", PASSWORD)
    owner.goto("/c/hush/manage")
    owner.get_by_role("link", name="Privacy").click()
    owner.get_by_text("Make Hush Labs private…").click()
    expect(owner.get_by_text(re.compile("Everyone who is not on its staff or a guest loses "
                                        "sight of it at once"))).to_be_visible()
    owner.get_by_role("button", name="Yes, make it private").click()
    settled(owner)
    expect(owner.get_by_role("status")).to_contain_text("Hush Labs is private")
    owner.get_by_label("Their username or email address").fill("gita")
    owner.get_by_role("button", name="Invite").click()
    settled(owner)
    expect(owner.get_by_role("status")).to_contain_text("@gita is a guest of Hush Labs")
    expect(owner.locator("table")).to_contain_text("gita")

    guest = new_page()
    sign_in(guest, "gita", PASSWORD)
    guest.goto("/")
    expect(guest.get_by_role("link", name="Hush Labs")).to_be_visible()
    guest.get_by_role("link", name="Hush Labs").click()
    expect(guest.get_by_role("heading", level=1)).to_contain_text("Private")
    guest.goto(f"/c/hush/ideas/{idea.thread_id}-{idea.thread.slug}")
    expect(guest.get_by_role("heading", name="A quiet mode for the lab")).to_be_visible()

    outsider = new_page()
    sign_in(outsider, "otto", PASSWORD)
    outsider.goto("/")
    expect(outsider.get_by_role("link", name="Open Works")).to_be_visible()
    expect(outsider.get_by_text("Hush Labs")).to_have_count(0)
    answer = outsider.goto(f"/c/hush/ideas/{idea.thread_id}-{idea.thread.slug}")
    assert answer is not None and answer.status == 404
    expect(outsider.get_by_role("heading", level=1)).to_contain_text("Page not found")
