"""A moderator bans a flagged post's author from the queue; the author reads until when
and why where they would reply; the moderator lifts the ban from the bans page. Then a
watched word: added in place, it refuses a customer's reply and keeps their text."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from forum.moderation.flags import flag_post
from tests.conftest import PASSWORD
from tests.e2e.conftest import settled, sign_in


def test_ban_from_the_queue_then_lift_it(new_page, make_company, make_staff, make_user,
                                         make_thread, make_reply):
    company = make_company("acme")
    make_staff(company, "moderator", "mona")
    author = make_user("troll")
    thread = make_thread(company, author=make_user("asker"), title="Where is the filter?")
    reply = make_reply(thread, author=author, body="You are all idiots")
    flag_post(make_user("carol"), reply, "abuse")
    thread_url = f"/c/acme/t/{thread.id}-{thread.slug}"

    moderator = new_page()
    sign_in(moderator, "mona", PASSWORD)
    moderator.goto("/c/acme/manage/moderation")
    item = moderator.locator(f"#review-{reply.id}")
    ban = item.locator("details").filter(
        has=moderator.locator("summary", has_text="Ban the author"))
    ban.locator("summary").click()
    ban.get_by_label("For how long").select_option("7")
    ban.get_by_label("Reason").select_option("abuse")
    ban.get_by_label(re.compile("Note to the author")).fill("Insults are not allowed.")
    ban.get_by_role("button", name=re.compile("Ban troll")).click()
    expect(moderator.get_by_role("status")).to_contain_text("Its author is banned")
    expect(moderator.locator(f"#review-{reply.id}")).to_have_count(0)

    writer = new_page()
    sign_in(writer, "troll", PASSWORD)
    writer.goto(thread_url)
    expect(writer.locator("#reply-form")).to_contain_text(re.compile(
        r"You are banned from posting at Acme until \d+ \w+: abuse or harassment "
        r"\(Insults are not allowed\)\."))
    expect(writer.get_by_role("button", name="Post reply")).to_have_count(0)

    moderator.goto("/c/acme/manage")
    moderator.get_by_role("link", name="Bans").first.click()
    row = moderator.locator("tr", has_text="troll")
    expect(row).to_contain_text("In force")
    row.get_by_label("Lift the ban of troll").click()
    row.get_by_label("Why lift it? troll is told.").fill("They apologised.")
    row.get_by_role("button", name="Yes, lift the ban").click()
    settled(moderator)
    expect(moderator.locator("tr", has_text="troll")).to_contain_text("Lifted")

    writer.reload()
    expect(writer.get_by_role("button", name="Post reply")).to_be_visible()


def test_a_watched_word_blocks_a_reply_and_keeps_the_text(new_page, make_company,
                                                          make_staff, make_user, make_thread):
    company = make_company("acme")
    make_staff(company, "moderator", "mona")
    make_user("carol")
    thread = make_thread(company, author=make_user("asker"), title="Where is the filter?")

    moderator = new_page()
    sign_in(moderator, "mona", PASSWORD)
    moderator.goto("/c/acme/manage/watched-words")
    moderator.get_by_label("Word or phrase").fill("cheap watches")
    moderator.get_by_label(re.compile("Block it")).check()
    moderator.get_by_role("button", name="Watch for it").click()
    settled(moderator)
    expect(moderator.locator("#watched-words")).to_contain_text("cheap watches · blocked")

    customer = new_page()
    sign_in(customer, "carol", PASSWORD)
    customer.goto(f"/c/acme/t/{thread.id}-{thread.slug}")
    box = customer.get_by_label("Your reply")
    box.fill("Buy Cheap Watches at my shop")
    customer.get_by_role("button", name="Post reply").click()
    settled(customer)
    expect(customer.locator("#reply-form")).to_contain_text(
        "Your post contains “Cheap Watches”, which Acme does not allow here.")
    expect(customer.get_by_label("Your reply")).to_have_value("Buy Cheap Watches at my shop")
