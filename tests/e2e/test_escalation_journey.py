"""A moderator escalates a flagged post to the site admins, in place; a site admin finds
it first in /admin/moderation and edits the personal information out; readers get the
new text, and the revision history keeps the old one for moderators only."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from forum.moderation.flags import flag_post
from tests.conftest import PASSWORD
from tests.e2e.conftest import settled, sign_in


def test_escalate_then_redact_from_the_admin_queue(new_page, admin, make_company, make_staff,
                                                   make_user, make_thread, make_reply):
    company = make_company("acme")
    make_staff(company, "moderator", "mona")
    thread = make_thread(company, author=make_user("asker"), title="Where is the filter?")
    older = make_reply(thread, author=make_user("early"), body="An older flagged reply")
    reply = make_reply(thread, author=make_user("troll"), body="Call Ann on 555-0199 now")
    flag_post(make_user("carol"), older, "off_topic")
    flag_post(make_user("dave"), reply, "personal_information")

    moderator = new_page()
    sign_in(moderator, "mona", PASSWORD)
    moderator.goto("/c/acme/manage/moderation")
    item = moderator.locator(f"#review-{reply.id}")
    escalate = item.locator("details").filter(
        has=moderator.locator("summary", has_text="Escalate to site admins"))
    escalate.locator("summary").click()
    escalate.get_by_label(re.compile("Why should the site admins decide")).fill(
        "Someone else's phone number: the admins should look.")
    escalate.get_by_role("button", name="Escalate to site admins").click()
    settled(moderator)
    item = moderator.locator(f"#review-{reply.id}")
    expect(item).to_contain_text("Escalated")
    expect(item).to_contain_text("the admins should look")
    assert moderator.url.endswith("/c/acme/manage/moderation")  # in place, by htmx

    site_admin = new_page()
    sign_in(site_admin, admin.username, PASSWORD)
    site_admin.goto("/admin/moderation")
    items = site_admin.locator("[data-review-item]")
    expect(items.first).to_contain_text("Escalated")  # first, though flagged later
    item = site_admin.locator(f"#review-{reply.id}")
    redact = item.locator("details").filter(
        has=site_admin.locator("summary", has_text="Edit out personal information"))
    redact.locator("summary").click()
    body = redact.get_by_label(re.compile("The post without the personal information"))
    expect(body).to_have_value("Call Ann on 555-0199 now")
    body.fill("Call Ann on [number removed] now")
    redact.get_by_label(re.compile("Note to the author")).fill("A phone number.")
    redact.get_by_role("button", name="Edit out personal information").click()
    expect(site_admin.get_by_role("status")).to_contain_text("edited out")
    expect(site_admin.locator(f"#review-{reply.id}")).to_have_count(0)

    reader = new_page()
    reader.goto(f"/c/acme/t/{thread.id}-{thread.slug}")
    expect(reader.locator("#post-3")).to_contain_text("[number removed]")
    expect(reader.locator("#post-3")).not_to_contain_text("555-0199")
    moderator.goto(f"/c/acme/t/{thread.id}/posts/{reply.id}/revisions")
    expect(moderator.locator("main")).to_contain_text("555-0199")
    expect(moderator.locator("main")).to_contain_text("moderators only")
