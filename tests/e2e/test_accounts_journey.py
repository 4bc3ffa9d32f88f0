"""A visitor joins, signs out, signs back in and visits a company, in a real browser."""

from __future__ import annotations

from playwright.sync_api import expect

from forum import demo


def test_sign_up_sign_out_sign_in_and_visit_a_company(page, runner):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0

    page.goto("/")
    expect(page.get_by_role("heading", name="Companies listening here")).to_be_visible()
    for spec in demo.COMPANIES:
        link = page.get_by_role("link", name=spec["name"], exact=True)
        if spec.get("private"):  # seen by its staff and guests only
            expect(link).to_have_count(0)
        else:
            expect(link).to_be_visible()

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


def test_signing_out_survives_a_browser_reopened_with_the_old_cookies(browser, live_server,
                                                                     runner):
    """The shared-computer case: "Keep me signed in", sign out, and someone reopens the
    browser with every cookie it had before signing out."""
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    first = browser.new_context(base_url=live_server.url)
    page = first.new_page()
    page.goto("/signin")
    page.get_by_label("Username or email").fill("maya")
    page.get_by_label("Password").fill(demo.PASSWORD)
    page.get_by_label("Keep me signed in on this device").check()
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Signed in as maya.")).to_be_visible()
    before_signing_out = first.storage_state()
    assert {cookie["name"] for cookie in before_signing_out["cookies"]} >= {
        "session", "remember_token"}

    page.get_by_label("Account menu for maya").click()
    page.get_by_role("menuitem", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    assert "remember_token" not in {cookie["name"] for cookie in first.cookies()}
    first.close()

    reopened = browser.new_context(base_url=live_server.url, storage_state=before_signing_out)
    page = reopened.new_page()
    page.goto("/settings/profile")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_label("Account menu for maya")).to_have_count(0)
    reopened.close()


def test_a_person_signs_out_another_browser_from_settings(new_page, runner):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    phone, laptop = new_page(), new_page(width=1280, height=800)
    for page in (phone, laptop):
        page.goto("/signin")
        page.get_by_label("Username or email").fill("maya")
        page.get_by_label("Password").fill(demo.PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_text("Signed in as maya.")).to_be_visible()

    laptop.goto("/settings/sessions")
    expect(laptop.get_by_role("heading", name="Where you're signed in")).to_be_visible()
    rows = laptop.get_by_role("row")
    expect(rows).to_have_count(3)  # the header and two browsers
    signed_in_elsewhere = laptop.get_by_role("row").filter(
        has=laptop.get_by_role("button", name="Sign out")).filter(has_not_text="This browser")
    signed_in_elsewhere.get_by_role("button", name="Sign out").click()
    expect(laptop.get_by_text("Signed out of")).to_be_visible()
    expect(laptop.get_by_role("row")).to_have_count(2)

    phone.reload()
    expect(phone.get_by_label("Account menu for maya")).to_have_count(0)
