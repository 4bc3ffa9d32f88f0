"""Closing the loop in a real browser: a customer votes, the company plans the idea, and
the customer's bell rises and leads to what happened, and the mail arrives at a real SMTP
server with an unsubscribe link that works without signing in."""

from __future__ import annotations

import time
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select

from forum import demo
from forum.accounts.models import User
from forum.companies.models import Company
from forum.extensions import db
from forum.mail.services import preferences
from ideas.models import Idea
from tests.e2e.conftest import sign_in
from tests.smtp import links


def unread(page: Any) -> int:
    label = page.locator("#bell").get_attribute("aria-label") or ""
    return int(label.split(":")[1].split()[0])


def test_a_voter_hears_that_the_idea_is_planned(browser, notifying_server, runner, smtp):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    idea = db.session.scalar(select(Idea).join(Company).where(
        Company.slug == "lumen", Idea.status == "open").order_by(Idea.id))
    idea_url = f"/c/lumen/ideas/{idea.thread_id}-{idea.thread.slug}"
    title = idea.thread.title
    db.session.rollback()

    customer = browser.new_context(base_url=notifying_server.url).new_page()
    sign_in(customer, "leo", demo.PASSWORD)
    customer.goto(idea_url)
    button = customer.locator("header .vote-button")
    if button.get_attribute("aria-pressed") == "false":
        button.click()
        expect(button).to_have_attribute("aria-pressed", "true")
    customer.goto("/notifications")
    customer.get_by_role("button", name="Mark all read").click()
    expect(customer.locator("#bell")).to_have_attribute("aria-label",
                                                        "Notifications: 0 unread")

    staff = browser.new_context(base_url=notifying_server.url).new_page()
    sign_in(staff, "priya", demo.PASSWORD)
    staff.goto(idea_url)
    staff.get_by_label("Status", exact=True).select_option("planned")
    staff.get_by_label("Public note (optional)").fill("Coming in the spring release.")
    staff.get_by_role("button", name="Update status").click()
    expect(staff.get_by_text("Status changed to planned.")).to_be_visible()

    for _ in range(50):  # the notifier thread polls every 0.1 s
        customer.reload()
        if unread(customer) == 1:
            break
        time.sleep(0.1)
    assert unread(customer) == 1
    expect(customer.locator(".bell-count")).to_have_text("1")
    customer.locator("#bell").click()
    notification = customer.get_by_role("link", name=f"“{title}” is now planned")
    expect(notification).to_be_visible()
    notification.click()
    expect(customer.locator("header.idea-head .status")).to_have_text("Planned")
    expect(customer.locator("#bell")).to_have_attribute("aria-label",
                                                        "Notifications: 0 unread")

    # The mail arrives too, at once (leo keeps the default for status changes)...
    deadline = time.monotonic() + 15
    while not (mails := [message for message in smtp.inbox.to("leo@example.com")
                         if "is now planned" in message["Subject"]]):
        assert time.monotonic() < deadline, "the mail did not arrive"
        time.sleep(0.1)
    [mail] = mails
    assert mail["Subject"] == f"“{title}” is now planned"
    assert "Coming in the spring release." in mail.get_body(("plain",)).get_content()
    # ... and its unsubscribe link works in a browser that is signed in to nothing.
    link = next(link for link in links(mail) if "/mail/unsubscribe/" in link)
    assert link.startswith(notifying_server.url)
    stranger = browser.new_context(base_url=notifying_server.url).new_page()
    stranger.goto(link)
    expect(stranger.get_by_text("An idea you voted for or follow changes status")).to_be_visible()
    stranger.get_by_role("button", name="Unsubscribe").click()
    expect(stranger.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
    db.session.rollback()
    leo = db.session.scalar(select(User).where(User.username == "leo"))
    assert preferences(leo)["status"] == "off"
