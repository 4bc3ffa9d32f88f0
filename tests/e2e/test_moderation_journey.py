"""A customer flags a reply; the company's moderator hides it from the queue with a reason;
its author sees the stub with the full reason; the moderator restores it and it is back."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from forum.moderation.flags import flag_post
from tests.conftest import PASSWORD
from tests.e2e.conftest import sign_in


def flag_as_carol(new_page, thread_url: str):
    """Carol flags post 2 as spam, in place; her page."""
    customer = new_page()
    sign_in(customer, "carol", PASSWORD)
    customer.goto(thread_url)
    post = customer.locator("#post-2")
    post.get_by_label("Flag post 2").click()
    post.get_by_label("Why should the moderators look at this?").select_option("spam")
    post.get_by_role("button", name="Send to the moderators").click()
    expect(post.get_by_text("You flagged this: spam")).to_be_visible()
    return customer


def hide_as_spam(moderator, item, note: str) -> None:
    """Hide a queue item as spam, with `note`."""
    hide = item.locator("details").filter(
        has=moderator.locator("summary", has_text=re.compile(r"^Hide$")))
    hide.locator("summary").click()
    hide.get_by_label("Reason").select_option("spam")
    hide.get_by_label(re.compile("Note to the author")).fill(note)
    hide.get_by_role("button", name="Hide").click()


def test_flag_hide_and_restore(new_page, make_company, make_staff, make_user, make_thread,
                               make_reply):
    company = make_company("acme")
    make_staff(company, "moderator", "mona")
    author = make_user("troll")
    make_user("carol")
    thread = make_thread(company, author=make_user("asker"), title="Where is the filter?")
    reply = make_reply(thread, author=author, body="Buy cheap watches at my shop")
    thread_url = f"/c/acme/t/{thread.id}-{thread.slug}"

    customer = flag_as_carol(new_page, thread_url)
    assert customer.url.endswith(thread_url)  # in place, by htmx

    # A second flagged post, so the focus has somewhere to go after the first decision.
    other = make_reply(thread, author=author, body="And cheaper ones here")
    flag_post(make_user("dave"), other, "off_topic")

    moderator = new_page()
    sign_in(moderator, "mona", PASSWORD)
    moderator.goto("/c/acme/manage")
    moderator.get_by_role("link", name="Moderation").first.click()
    expect(moderator.get_by_text("2 open")).to_be_visible()
    item = moderator.locator(f"#review-{reply.id}")
    expect(item).to_contain_text("spam by carol")
    hide_as_spam(moderator, item, "Advertising is not allowed.")
    expect(moderator.get_by_role("status")).to_contain_text("Hidden, with your reason.")
    expect(moderator.locator(f"#review-{reply.id}")).to_have_count(0)
    expect(moderator.locator(f"#review-{other.id}")).to_be_focused()

    writer = new_page()
    sign_in(writer, "troll", PASSWORD)
    writer.goto(thread_url)
    stub = writer.locator("#post-2")
    expect(stub).to_contain_text(re.compile(r"Removed by Acme.s moderators: spam, \d+ \w+"))
    expect(stub).to_contain_text("Advertising is not allowed.")
    expect(stub).to_contain_text("Buy cheap watches")

    moderator.goto(thread_url)
    moderator.locator("#post-2").get_by_text("Restore post 2").click()
    moderator.get_by_label("Why restore it? Its author is told.").fill("A fair link.")
    moderator.get_by_role("button", name="Restore the post").click()
    expect(moderator.get_by_text("The post is back.")).to_be_visible()

    writer.reload()
    expect(writer.locator("#post-2")).to_contain_text("Buy cheap watches")
    expect(writer.locator("#post-2")).not_to_contain_text("Removed by")


def test_flag_hide_appeal_and_restore_by_another_moderator(
        new_page, make_company, make_staff, make_user, make_thread, make_reply):
    company = make_company("acme")
    make_staff(company, "moderator", "mona")
    make_staff(company, "moderator", "mike")
    author = make_user("troll")
    make_user("carol")
    thread = make_thread(company, author=make_user("asker"), title="Where is the filter?")
    reply = make_reply(thread, author=author, body="The filter is sold at my shop")
    thread_url = f"/c/acme/t/{thread.id}-{thread.slug}"

    flag_as_carol(new_page, thread_url)

    moderator = new_page()
    sign_in(moderator, "mona", PASSWORD)
    moderator.goto("/c/acme/manage/moderation")
    item = moderator.locator(f"#review-{reply.id}")
    hide_as_spam(moderator, item, "Links to shops are spam.")
    expect(moderator.get_by_role("status")).to_contain_text("Hidden, with your reason.")

    writer = new_page()
    sign_in(writer, "troll", PASSWORD)
    writer.goto(thread_url)
    stub = writer.locator("#post-2")
    expect(stub).to_contain_text("Links to shops are spam.")
    stub.get_by_role("link", name="Appeal this removal").click()
    writer.get_by_label("Why should your post come back?").fill(
        "It answers the question: the shop is the maker's own.")
    writer.get_by_role("button", name="Send the appeal").click()
    expect(writer.get_by_text("Your appeal is sent.")).to_be_visible()
    expect(writer.locator("#post-2")).to_contain_text("You appealed")

    # The moderator who hid it may not decide; the other one does, in place.
    moderator.goto("/c/acme/manage/appeals")
    expect(moderator.get_by_text(
        "You hid this post, so another moderator decides its appeal.")).to_be_visible()
    second = new_page()
    sign_in(second, "mike", PASSWORD)
    second.goto("/c/acme/manage")
    second.get_by_role("link", name="Appeals").first.click()
    appeal = second.locator("[data-appeal]").first
    expect(appeal).to_contain_text("the shop is the maker's own")
    appeal.get_by_label("Restore the post").check()
    appeal.get_by_label("Your reason (the author reads it)").fill("The maker's shop is fine.")
    appeal.get_by_role("button", name="Decide").click()
    expect(second.get_by_role("status")).to_contain_text("Restored: its author is told why.")
    assert second.url.endswith("/c/acme/manage/appeals")  # in place, by htmx

    writer.reload()
    expect(writer.locator("#post-2")).to_contain_text("The filter is sold at my shop")
    expect(writer.locator("#post-2")).not_to_contain_text("Removed by")

    visitor = new_page()
    visitor.goto("/c/acme/moderation-log")
    log = visitor.locator("table.moderation-log tbody")
    expect(log.locator("tr")).to_have_count(2)
    expect(log.locator("tr").nth(0)).to_contain_text("Restored")
    expect(log.locator("tr").nth(1)).to_contain_text("Hidden")
    expect(log.locator("tr").nth(1)).to_contain_text("spam")
    expect(visitor.locator("body")).not_to_contain_text("carol")
    expect(visitor.locator("body")).not_to_contain_text("maker's own")
