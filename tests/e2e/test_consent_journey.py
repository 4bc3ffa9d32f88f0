"""A company's space by its own consent, in a real browser: someone at Northwind asks for
it, opens the link that a real SMTP server received at the work address and confirms, a
site admin approves, the company is listed, and its new owner answers officially with
the Verified mark next to Official."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from forum.accounts import services as accounts
from forum.accounts.models import User
from forum.companies.models import Company
from forum.extensions import db
from tests.conftest import PASSWORD
from tests.e2e.conftest import sign_in
from tests.smtp import links


def test_from_request_to_verified_badge(browser, notifying_server, smtp, admin, make_user,
                                        make_category, make_thread):
    def new_page(width: int = 390, height: int = 844):
        """One person's browser, on the server whose worker sends the mail."""
        return browser.new_context(base_url=notifying_server.url,
                                   viewport={"width": width, "height": height}).new_page()

    accounts.register("nora", "nora@northwind.example", PASSWORD, email_confirmed=True)
    make_user("carol")

    asker = new_page()
    sign_in(asker, "nora", PASSWORD)
    asker.goto("/")
    asker.get_by_role("link", name="Ask for its space").click()
    asker.get_by_label("Company name").fill("Northwind Coffee")
    asker.get_by_label("Wanted address (slug)").fill("northwind")
    asker.get_by_label("Website").fill("https://www.northwind.example")
    asker.get_by_label("Your work email").fill("nora@gmail.com")
    asker.get_by_role("button", name="Mail me a link").click()
    expect(asker.get_by_text("Addresses at gmail.com are open to anyone")).to_be_visible()
    asker.get_by_label("Your work email").fill("nora@northwind.example")
    asker.get_by_role("button", name="Mail me a link").click()
    expect(asker.locator(".alert-success")).to_contain_text(
        "Check the inbox of nora@northwind.example")
    expect(asker.locator("[data-request-status]")).to_have_text(
        "Waiting for the work email to be confirmed")

    smtp.inbox.wait_for(1)
    [mail] = smtp.inbox.to("nora@northwind.example")
    link = next(link for link in links(mail) if "/companies/requests/confirm/" in link)
    inbox = new_page()  # the work mailbox may be read anywhere, signed in or not
    inbox.goto(link)
    expect(inbox.get_by_role("heading", name=re.compile("Confirm Northwind Coffee.s request"))
           ).to_be_visible()
    inbox.get_by_role("button", name="Confirm nora@northwind.example").click()
    expect(inbox.get_by_text("nora@northwind.example is confirmed.")).to_be_visible()

    reviewer = new_page(1280, 900)
    sign_in(reviewer, admin.username, PASSWORD)
    reviewer.goto("/admin/")
    reviewer.get_by_role("navigation", name="Admin").get_by_role("link", name="Requests"
                                                                 ).click()
    request = reviewer.locator("[data-company-request]")
    expect(request).to_contain_text("nora@northwind.example")
    expect(request).to_contain_text("northwind.example")
    request.get_by_label("Approve Northwind Coffee").click()
    request.get_by_role("button", name="Yes, approve Northwind Coffee").click()
    expect(reviewer.get_by_text("Northwind Coffee is open at /c/northwind; nora owns it.")
           ).to_be_visible()

    reviewer.goto("/")
    expect(reviewer.get_by_role("link", name="Northwind Coffee")).to_be_visible()

    db.session.rollback()
    company = db.session.scalar(select(Company).where(Company.slug == "northwind"))
    carol = db.session.scalar(select(User).where(User.username == "carol"))
    thread = make_thread(company, author=carol, category=make_category(company),
                         title="Does the Breeze take oat milk?")
    asker.goto(f"/c/northwind/t/{thread.id}-{thread.slug}")
    asker.get_by_label("Your reply").fill("It does: use the alt milk setting.")
    asker.get_by_label("Post as the company (official answer)").check()
    asker.get_by_role("button", name="Post reply").click()
    answer = asker.locator("#post-2")
    expect(answer).to_contain_text("Official")
    verified = answer.get_by_label(re.compile(
        "Verified: their confirmed email is at northwind.example"))
    expect(verified).to_be_visible()
    expect(verified).to_have_text("✓ Verified")
