"""Signing in with an OpenID Connect provider: a real one (panva's oidc-provider) on
loopback, our side through the test client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from forum.accounts.models import Identity, User
from forum.companies import privacy
from forum.events.models import Event
from forum.extensions import db
from forum.mail.models import OutgoingMail
from tests.identity_provider import NAME, IdentityProvider
from tests.smtp import free_port

CALLBACK = "http://localhost/signin/oidc/callback"


@pytest.fixture(scope="module")
def provider() -> Iterator[IdentityProvider]:
    started = IdentityProvider(CALLBACK).start()
    yield started
    started.stop()


@pytest.fixture
def app(app_factory: Callable[..., Flask], provider: IdentityProvider) -> Iterator[Flask]:
    app = app_factory(**provider.config())
    with app.app_context():
        yield app
        db.session.remove()


def _callback_path(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(("", "", parts.path, parts.query, ""))


def sign_in_at_provider(client: FlaskClient, provider: IdentityProvider, login: str,
                        start: str = "/signin/oidc") -> Any:
    """Click "Sign in with", log in at the provider, and come back: the app's answer."""
    sent = client.get(start) if start.startswith("/signin") else client.post(start)
    assert sent.status_code == 302, sent.get_data(as_text=True)
    back = provider.log_in(sent.headers["Location"], login)
    return client.get(_callback_path(back))


def identities() -> list[tuple[str, str]]:
    db.session.rollback()
    return [(identity.user.username, identity.subject)
            for identity in db.session.scalars(select(Identity).order_by(Identity.id))]


def test_the_sign_in_pages_offer_the_provider(client: FlaskClient) -> None:
    for page in ("/signin", "/signup"):
        assert f"Sign in with {NAME}" in client.get(page).get_data(as_text=True)


def test_without_a_provider_there_is_no_button_and_no_route(
        app_factory: Callable[..., Flask]) -> None:
    plain = app_factory().test_client()
    assert "Sign in with" not in plain.get("/signin").get_data(as_text=True)
    for path in ("/signin/oidc", "/signin/oidc/callback", "/signin/oidc/new",
                 "/settings/sign-in"):
        assert plain.get(path).status_code == 404


def test_first_sign_in_makes_an_account_and_the_next_signs_into_it(
        client: FlaskClient, provider: IdentityProvider) -> None:
    answer = sign_in_at_provider(client, provider, "ada")
    assert answer.headers["Location"] == "/signin/oidc/new"
    page = client.get("/signin/oidc/new").get_data(as_text=True)
    assert 'value="ada_l"' in page  # from preferred_username "ada.l", spelt as it may be
    done = client.post("/signin/oidc/new", data={"username": "ada_l"})
    assert done.status_code == 302
    db.session.rollback()
    user = db.session.scalar(select(User).where(User.username == "ada_l"))
    assert user is not None and user.email == "ada@example.com"  # verified by the provider
    assert not user.has_password
    assert identities() == [("ada_l", "ada")]
    assert "Welcome to Cocreate, ada_l!" in client.get(done.headers["Location"],
                                                        follow_redirects=True).get_data(
        as_text=True)

    client.post("/signout")
    again = sign_in_at_provider(client, provider, "ada")
    assert again.status_code == 302 and again.headers["Location"] == "/home"
    assert "Signed in as ada_l." in client.get("/home").get_data(as_text=True)
    assert identities() == [("ada_l", "ada")]


def test_a_taken_username_is_asked_again(client: FlaskClient, provider: IdentityProvider,
                                         make_user: Callable[..., User]) -> None:
    make_user("taken")
    sign_in_at_provider(client, provider, "ada")
    refused = client.post("/signin/oidc/new", data={"username": "TAKEN"})
    assert refused.status_code == 422
    assert "That username is taken." in refused.get_data(as_text=True)


def test_a_verified_address_links_to_the_account_that_confirmed_it(
        client: FlaskClient, provider: IdentityProvider, make_user: Callable[..., User],
        smtp: Any, send: Callable[[], None]) -> None:
    owner = make_user("adalove")
    owner.email = "ADA@example.com"
    db.session.commit()
    answer = sign_in_at_provider(client, provider, "ada")
    assert answer.headers["Location"] == "/home"
    page = client.get("/home").get_data(as_text=True)
    assert "Signed in as adalove." in page and "now linked" in page
    assert identities() == [("adalove", "ada")]
    send()
    [mail] = smtp.inbox.messages
    assert mail["To"] == "ADA@example.com"
    assert f"A {NAME} account can now sign in" in mail["Subject"]
    assert db.session.scalar(select(Event.type).order_by(Event.id.desc())) == \
        "user.identity_linked"


@pytest.mark.parametrize(("login", "confirmed"), [("bob", True), ("ada", False)])
def test_no_link_without_both_sides_vouching_for_the_address(
        client: FlaskClient, provider: IdentityProvider, make_user: Callable[..., User],
        login: str, confirmed: bool) -> None:
    """bob's provider does not vouch for his address; ada's account never confirmed hers:
    either way a new account is offered, worded as for anyone."""
    make_user(login, confirmed=confirmed)
    answer = sign_in_at_provider(client, provider, login)
    assert answer.headers["Location"] == "/signin/oidc/new"
    page = client.get("/signin/oidc/new").get_data(as_text=True)
    assert "Sign in with your password" in page
    assert identities() == []
    client.post("/signin/oidc/new", data={"username": f"{login}_sso"})
    db.session.rollback()
    made = db.session.scalar(select(User).where(User.username == f"{login}_sso"))
    assert made is not None
    if login == "bob":  # the provider did not check it: it waits for a mailed link
        assert (made.email, made.pending_email) == (None, "bob@example.com")
    else:  # the provider checked it, and no account had confirmed it: it is the new one's
        assert (made.email, made.pending_email) == ("ada@example.com", None)


def test_linking_from_settings_and_unlinking(client: FlaskClient, provider: IdentityProvider,
                                             make_user: Callable[..., User], auth: Any) -> None:
    make_user("carol")
    auth.signin("carol")
    answer = sign_in_at_provider(client, provider, "cyd", start="/settings/sign-in/link")
    assert answer.headers["Location"] == "/settings/sign-in"
    page = client.get("/settings/sign-in").get_data(as_text=True)
    assert "cyd@example.com" in page and "Unlink" in page
    assert identities() == [("carol", "cyd")]
    identity_id = db.session.scalar(select(Identity.id))
    unlinked = client.post(f"/settings/sign-in/{identity_id}/unlink")
    assert unlinked.status_code == 302
    assert identities() == []


def test_unlinking_the_only_way_in_is_refused(client: FlaskClient,
                                              provider: IdentityProvider) -> None:
    sign_in_at_provider(client, provider, "cyd")
    client.post("/signin/oidc/new", data={"username": "cyd"})
    identity_id = db.session.scalar(select(Identity.id))
    page = client.get("/settings/sign-in").get_data(as_text=True)
    assert "This is the only way into your account." in page
    refused = client.post(f"/settings/sign-in/{identity_id}/unlink")
    assert refused.status_code == 403
    assert identities() == [("cyd", "cyd")]
    # A first password needs no current one; then the provider may go.
    assert client.post("/settings/password",
                       data={"new_password": "a brand new passphrase"}).status_code == 302
    assert client.post(f"/settings/sign-in/{identity_id}/unlink").status_code == 302
    assert identities() == []


def test_someone_elses_identity_is_not_there(client: FlaskClient, provider: IdentityProvider,
                                             make_user: Callable[..., User],
                                             auth: Any) -> None:
    sign_in_at_provider(client, provider, "cyd")
    client.post("/signin/oidc/new", data={"username": "cyd"})
    client.post("/signout")
    make_user("mallory")
    auth.signin("mallory")
    identity_id = db.session.scalar(select(Identity.id))
    assert client.post(f"/settings/sign-in/{identity_id}/unlink").status_code == 404
    # Nor can it be linked to a second account.
    again = sign_in_at_provider(client, provider, "cyd", start="/settings/sign-in/link")
    assert again.status_code == 409
    assert identities() == [("cyd", "cyd")]


def test_a_tampered_state_is_a_clear_400(client: FlaskClient,
                                         provider: IdentityProvider) -> None:
    sent = client.get("/signin/oidc")
    back = provider.log_in(sent.headers["Location"], "ada")
    parts = urlsplit(back)
    query = parse_qs(parts.query)
    forged = client.get(f"/signin/oidc/callback?code={query['code'][0]}&state=forged")
    assert forged.status_code == 400
    assert "could not be checked" in forged.get_data(as_text=True)
    # The real answer, replayed after the state was spent, is refused as well.
    assert client.get(_callback_path(back)).status_code in (200, 302)
    assert client.get(_callback_path(back)).status_code == 400


def test_a_code_from_another_browsers_sign_in_is_refused(
        app: Flask, client: FlaskClient, provider: IdentityProvider) -> None:
    """One browser's code brought back with another browser's state: its PKCE verifier
    (and the ID token's nonce) are not the ones this session holds."""
    first = client.get("/signin/oidc")
    second_client = app.test_client()
    second = second_client.get("/signin/oidc")
    back_first = provider.log_in(first.headers["Location"], "ada")
    second_state = parse_qs(urlsplit(second.headers["Location"]).query)["state"][0]
    code = parse_qs(urlsplit(back_first).query)["code"][0]
    mixed = second_client.get(f"/signin/oidc/callback?code={code}&state={second_state}")
    assert mixed.status_code == 400
    assert identities() == []


def test_a_refusal_at_the_provider_is_a_clear_400(client: FlaskClient) -> None:
    client.get("/signin/oidc")
    refused = client.get("/signin/oidc/callback?error=access_denied&state=x")
    assert refused.status_code == 400


def test_a_provider_that_is_down_gets_a_friendly_page(
        app_factory: Callable[..., Flask]) -> None:
    down = app_factory(OIDC_ISSUER=f"http://127.0.0.1:{free_port()}",
                       OIDC_CLIENT_ID="x", OIDC_CLIENT_SECRET="y", OIDC_NAME=NAME)
    answer = down.test_client().get("/signin/oidc")
    assert answer.status_code == 502
    assert f"{NAME} is not answering just now" in answer.get_data(as_text=True)


def test_a_suspended_account_is_not_signed_in(client: FlaskClient,
                                              provider: IdentityProvider,
                                              make_user: Callable[..., User]) -> None:
    owner = make_user("adalove")
    owner.email = "ada@example.com"
    owner.suspended_until = owner.created_at.replace(year=owner.created_at.year + 1)
    db.session.commit()
    answer = sign_in_at_provider(client, provider, "ada")
    assert answer.status_code == 403
    assert "suspended" in answer.get_data(as_text=True)
    assert identities() == []


def test_next_is_followed_only_on_this_site(client: FlaskClient,
                                            provider: IdentityProvider) -> None:
    sign_in_at_provider(client, provider, "cyd", start="/signin/oidc?next=//evil.example/")
    done = client.post("/signin/oidc/new", data={"username": "cyd"})
    assert done.headers["Location"] == "/home"
    client.post("/signout")
    again = sign_in_at_provider(client, provider, "cyd", start="/signin/oidc?next=/search")
    assert again.headers["Location"] == "/search"
    assert db.session.scalar(select(OutgoingMail.id)) is None  # the address was verified


def test_a_provider_sign_in_opens_no_private_space(
        client: FlaskClient, provider: IdentityProvider, make_user: Callable[..., User],
        make_company: Callable[..., Any]) -> None:
    """An account made by a provider's sign-in is a customer like any other: a private
    space is not there for it, in its address or in the directory."""
    owner = make_user("owner")
    secret = make_company("hush", owner=owner)
    privacy.set_privacy(owner, secret, True)
    sign_in_at_provider(client, provider, "cyd")
    client.post("/signin/oidc/new", data={"username": "cyd"})
    assert client.get("/c/hush").status_code == 404
    assert "Hush" not in client.get("/").get_data(as_text=True)


def test_choosing_a_username_without_a_sign_in_is_a_clear_400(client: FlaskClient) -> None:
    for answer in (client.get("/signin/oidc/new"),
                   client.post("/signin/oidc/new", data={"username": "nobody"})):
        assert answer.status_code == 400
        assert "Your sign-in has expired" in answer.get_data(as_text=True)
    assert identities() == []
