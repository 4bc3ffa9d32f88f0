"""Signing in with an identity provider in a real browser: a real OpenID Connect
provider (panva's oidc-provider, on loopback), its own login page, and back."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect

from forum.accounts.oidc import CALLBACK_PATH
from tests.e2e.conftest import LiveServer
from tests.identity_provider import NAME, IdentityProvider


@pytest.fixture
def live_server(app_factory: Callable[..., Flask], app: Flask) -> Iterator[LiveServer]:
    """The live app with the provider configured; the provider sends people back to it."""
    provider = IdentityProvider(redirect_uri="")
    live_app = app_factory(WTF_CSRF_ENABLED=True, PAGE_CACHE_SECONDS=60, **provider.config())
    server = LiveServer(live_app)
    live_app.config["BASE_URL"] = server.url
    provider.redirect_uri = server.url + CALLBACK_PATH
    provider.start()
    server.start()
    yield server
    server.stop()
    provider.stop()


def log_in_at_provider(page: Any, login: str) -> None:
    """oidc-provider's own login form (devInteractions): the login names the account."""
    page.get_by_placeholder("Enter any login").fill(login)
    page.get_by_placeholder("and password").fill("any password")
    page.get_by_role("button", name="Sign-in").click()


def test_sign_in_with_the_provider_makes_an_account_then_opens_it(page: Any) -> None:
    # The provider's login page asks Google for a font; this machine may be offline.
    page.context.route("https://fonts.googleapis.com/**", lambda route: route.fulfill(
        status=200, content_type="text/css", body=""))
    page.goto("/signin")
    page.get_by_role("link", name=f"Sign in with {NAME}").click()
    log_in_at_provider(page, "ada")

    expect(page.get_by_role("heading", name="Welcome to Cocreate")).to_be_visible()
    expect(page.get_by_label("Username")).to_have_value("ada_l")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_text("Welcome to Cocreate, ada_l!")).to_be_visible()

    page.get_by_label("Account menu for ada_l").click()
    page.get_by_role("menuitem", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()

    # Still signed in at the provider: straight back, into the same account.
    page.goto("/signin")
    page.get_by_role("link", name=f"Sign in with {NAME}").click()
    expect(page.get_by_text("Signed in as ada_l.")).to_be_visible()

    page.goto("/settings/sign-in")
    expect(page.get_by_role("cell", name="ada@example.com")).to_be_visible()
    expect(page.get_by_text("This is the only way into your account.")).to_be_visible()
