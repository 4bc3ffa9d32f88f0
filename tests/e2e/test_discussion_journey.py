"""A customer asks, another replies in place, the company answers officially and accepts it,
and a third customer sees the official answer first."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from forum import demo
from tests.e2e.conftest import sign_in


def test_question_answered_officially_and_accepted(new_page, runner):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0

    asker = new_page()
    sign_in(asker, "maya", demo.PASSWORD)
    asker.goto("/c/northwind/forum")
    asker.get_by_role("link", name="Start a thread").click()
    asker.get_by_label("What is it?").select_option("question")
    asker.get_by_label("Category").select_option(label="Help & support")
    asker.get_by_label("Title").fill("Does the Breeze work with oat milk?")
    asker.locator("summary", has_text="Preview").click()
    asker.get_by_label("Message").fill("Oat milk foams **badly** for me.")
    expect(asker.locator("#body-preview strong")).to_have_text("badly")
    asker.get_by_role("button", name="Post thread").click()
    expect(asker.get_by_role("heading", name="Does the Breeze work with oat milk?")).to_be_visible()
    thread_url = asker.url

    replier = new_page()
    sign_in(replier, "omar", demo.PASSWORD)
    replier.goto(thread_url)
    replier.get_by_label("Your reply").fill("Barista editions of oat milk foam much better.")
    replier.get_by_role("button", name="Post reply").click()
    expect(replier.locator("#post-2")).to_contain_text("Barista editions")
    assert replier.url == thread_url  # htmx added the post in place, no reload
    expect(replier.get_by_label("Your reply")).to_have_value("")

    staff = new_page()
    sign_in(staff, "theo", demo.PASSWORD)
    staff.goto(thread_url)
    staff.get_by_label("Your reply").fill("Yes! Use the 'alt milk' steam setting.")
    staff.get_by_label("Post as the company (official answer)").check()
    staff.get_by_role("button", name="Post reply").click()
    official = staff.locator("#post-3")
    expect(official).to_contain_text("Official")
    staff.reload()
    staff.locator("#post-3").get_by_role("button", name="Accept as answer").click()
    expect(staff.get_by_text("Accepted answer marked.")).to_be_visible()

    reader = new_page()
    sign_in(reader, "leo", demo.PASSWORD)
    reader.goto("/c/northwind/forum")
    expect(reader.get_by_text(re.compile("Northwind Coffee answered"))).not_to_have_count(0)
    reader.get_by_role("link", name="Does the Breeze work with oat milk?").click()
    posts = reader.locator("#posts > article, #posts > section")
    expect(posts.nth(0)).to_contain_text("Oat milk foams badly")
    expect(posts.nth(1)).to_have_attribute("aria-label", "Accepted answer")
    expect(posts.nth(1)).to_contain_text("alt milk")
    expect(posts.nth(1)).to_contain_text("Official")
