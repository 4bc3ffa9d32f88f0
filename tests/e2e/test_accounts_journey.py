"""A visitor joins, signs out, signs back in and visits a company, in a real browser."""

from __future__ import annotations

from playwright.sync_api import expect

from forum import demo


def test_sign_up_sign_out_sign_in_and_visit_a_company(page, runner):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0

    page.goto("/")
    expect(page.get_by_role("heading", name="Companies listening here")).to_be_visible()
    for spec in demo.COMPANIES:
        expect(page.get_by_role("link", name=spec["name"])).to_be_visible()

    page.get_by_role("link", name="Join").first.click()
    page.get_by_label("Username").fill("newcomer")
    page.get_by_label("Email").fill("newcomer@example.com")
    page.get_by_label("Password").fill("a good long password")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Welcome to Cocreate, newcomer!")).to_be_visible()

    page.get_by_label("Account menu for newcomer").click()
    page.get_by_role("menuitem", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()

    page.get_by_role("banner").get_by_role("link", name="Sign in").click()
    page.get_by_label("Username or email").fill("newcomer")
    page.get_by_label("Password").fill("wrong password!")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Wrong username or password.")).to_be_visible()
    page.get_by_label("Password").fill("a good long password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Signed in as newcomer.")).to_be_visible()

    page.get_by_role("link", name="Northwind Coffee").click()
    expect(page.get_by_role("heading", name="Northwind Coffee", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Nora Lindqvist")).to_be_visible()
    assert page.url.endswith("/c/northwind")


def test_owner_adds_staff_in_the_browser(page, runner):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    page.goto("/signin")
    page.get_by_label("Username or email").fill("sam")
    page.get_by_label("Password").fill(demo.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/c/tandem")
    page.get_by_role("link", name="Manage").click()
    page.get_by_role("link", name="Staff").click()
    page.get_by_label("Username").fill("kate")
    page.get_by_label("Role").select_option("team")
    page.get_by_role("button", name="Save role").click()
    expect(page.get_by_text("kate is now team at Tandem Bikes.")).to_be_visible()
    expect(page.get_by_role("cell", name="Kate Brennan @kate")).to_be_visible()
