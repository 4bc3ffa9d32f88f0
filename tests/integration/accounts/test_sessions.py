"""Signing out signs you out: sessions live on the server and end for good."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from werkzeug.security import generate_password_hash

from forum.accounts import services
from forum.accounts.models import User, UserSession
from forum.accounts.sessions import describe_device
from forum.config import Config
from forum.database import utcnow
from forum.extensions import db
from tests.conftest import PASSWORD, AuthActions

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")


def signed_in(client) -> bool:
    return "Account menu" in client.get("/").get_data(as_text=True)


def browser(app, user_agent: str):
    """Another browser: its own cookies and its own User-Agent."""
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = user_agent
    return client


def cookies(client) -> dict[str, str]:
    return {name: cookie.value for name in ("session", "remember_token")
            if (cookie := client.get_cookie(name)) is not None}


def replay(app, saved: dict[str, str]):
    """A new browser holding copies of cookies taken earlier."""
    client = app.test_client()
    for name, value in saved.items():
        client.set_cookie(name, value)
    return client


def test_signing_out_deletes_the_remember_me_cookie(client, auth, make_user):
    make_user("alice")
    auth.signin("alice", remember=True)
    assert client.get_cookie("remember_token") is not None
    response = auth.signout()
    deleted = [header for header in response.headers.getlist("Set-Cookie")
               if header.startswith("remember_token=")]
    assert deleted and "Expires=Thu, 01 Jan 1970" in deleted[0]
    assert client.get_cookie("remember_token") is None
    assert not signed_in(client)


@pytest.mark.parametrize("kept", [("session",), ("remember_token",),
                                  ("session", "remember_token")])
def test_cookies_copied_before_signing_out_open_nothing_after(app, client, auth, make_user,
                                                             kept):
    make_user("alice")
    auth.signin("alice", remember=True)
    saved = {name: value for name, value in cookies(client).items() if name in kept}
    assert signed_in(replay(app, saved)), "the copy works while the session is open"
    auth.signout()
    thief = replay(app, saved)
    assert not signed_in(thief)
    assert thief.get("/settings/profile").status_code == 302


def test_the_settings_page_lists_each_browser_with_its_device(app, make_user):
    make_user("alice")
    laptop, phone = browser(app, FIREFOX), browser(app, SAFARI)
    AuthActions(laptop).signin("alice")
    AuthActions(phone).signin("alice", remember=True)
    page = laptop.get("/settings/sessions").get_data(as_text=True)
    assert "Firefox on Windows" in page and "Safari on iPhone" in page
    assert page.index("Firefox on Windows") < page.index("This browser") < page.index(
        "Safari on iPhone"), "this browser comes first and is marked"
    assert "kept signed in" in page


def test_ending_another_session_signs_that_browser_out_only(app, make_user):
    user = make_user("alice")
    laptop, phone = browser(app, FIREFOX), browser(app, SAFARI)
    AuthActions(laptop).signin("alice")
    AuthActions(phone).signin("alice", remember=True)
    stolen = cookies(phone)
    phone_session = db.session.scalar(select(UserSession.id).where(
        UserSession.user_id == user.id, UserSession.remember.is_(True)))
    response = laptop.post(f"/settings/sessions/{phone_session}/end", follow_redirects=True)
    assert "Signed out of Safari on iPhone." in response.get_data(as_text=True)
    assert signed_in(laptop)
    assert not signed_in(phone)
    assert not signed_in(replay(app, stolen))


def test_ending_this_session_from_the_list_signs_you_out(client, auth, make_user):
    user = make_user("alice")
    auth.signin("alice", remember=True)
    mine = db.session.scalar(select(UserSession.id).where(UserSession.user_id == user.id))
    response = client.post(f"/settings/sessions/{mine}/end", follow_redirects=True)
    assert "You are signed out." in response.get_data(as_text=True)
    assert client.get_cookie("remember_token") is None
    assert not signed_in(client)


def test_sign_out_everywhere_ends_every_session_and_every_copy(app, make_user):
    make_user("alice")
    laptop, phone = browser(app, FIREFOX), browser(app, SAFARI)
    AuthActions(laptop).signin("alice", remember=True)
    AuthActions(phone).signin("alice", remember=True)
    copies = [cookies(laptop), cookies(phone)]
    response = laptop.post("/settings/sessions/end-all", follow_redirects=True)
    assert "signed out everywhere (2 sessions)" in response.get_data(as_text=True)
    for client in (laptop, phone, *(replay(app, saved) for saved in copies)):
        assert not signed_in(client)


def test_nobody_ends_someone_elses_session(app, make_user):
    make_user("alice")
    bob = make_user("bob")
    alice_browser, bob_browser = browser(app, FIREFOX), browser(app, SAFARI)
    AuthActions(alice_browser).signin("alice")
    AuthActions(bob_browser).signin("bob")
    bobs = db.session.scalar(select(UserSession.id).where(UserSession.user_id == bob.id))
    assert alice_browser.post(f"/settings/sessions/{bobs}/end").status_code == 404
    assert signed_in(bob_browser)


def test_a_password_change_refuses_the_other_browsers_remember_me_cookie(app, client, auth,
                                                                         make_user):
    make_user("alice")
    auth.signin("alice")
    phone = browser(app, SAFARI)
    AuthActions(phone).signin("alice", remember=True)
    stolen = {"remember_token": cookies(phone)["remember_token"]}
    client.post("/settings/password", data={"current_password": PASSWORD,
                                            "new_password": "a brand new password"})
    assert signed_in(client)
    assert not signed_in(replay(app, stolen))


def test_an_expired_session_opens_nothing(app, client, auth, make_user):
    make_user("alice")
    auth.signin("alice", remember=True)
    db.session.execute(update(UserSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert not signed_in(client)


def test_last_seen_is_noted_without_forgetting_kept_pages(app_factory, make_user,
                                                          make_company):
    make_user("alice")
    make_company("acme")
    app = app_factory(SESSION_TOUCH_SECONDS=0, PAGE_CACHE_SECONDS=60)
    client, visitor = app.test_client(), app.test_client()
    AuthActions(client).signin("alice")
    assert visitor.get("/c/acme").headers["X-Page-Cache"] == "miss"
    with app.app_context():
        db.session.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(days=1)))
        db.session.commit()
    assert signed_in(client)
    with app.app_context():
        seen = db.session.scalar(select(UserSession.last_seen_at))
        assert utcnow() - seen < timedelta(minutes=1)
    assert visitor.get("/c/acme").headers["X-Page-Cache"] == "hit"


@pytest.mark.parametrize("user_agent, device", [
    (FIREFOX, "Firefox on Windows"),
    (SAFARI, "Safari on iPhone"),
    ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/126.0.0.0 Safari/537.36", "Chrome on Linux"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0", "Edge on Windows"),
    ("curl/8.5.0", "curl"),
    ("", "Unknown device"),
])
def test_devices_are_named_as_people_know_them(user_agent, device):
    assert describe_device(user_agent) == device


@pytest.mark.parametrize("password", ["password1", "PASSWORD1", "Iloveyou", "12345678",
                                      "qwertyuiop"])
def test_common_passwords_are_refused_at_sign_up(client, password):
    response = client.post("/signup", data={"username": "alice", "email": "a@example.com",
                                            "password": password})
    assert response.status_code == 422
    assert "one of the most common" in response.get_data(as_text=True)
    assert db.session.scalar(select(User.id)) is None


def test_common_passwords_are_refused_when_changing(client, auth, make_user):
    user = make_user("alice")
    auth.signin("alice")
    response = client.post("/settings/password", data={"current_password": PASSWORD,
                                                       "new_password": "Password123"})
    assert response.status_code == 422
    assert "one of the most common" in response.get_data(as_text=True)
    db.session.rollback()
    assert services.authenticate("alice", PASSWORD).id == user.id


def test_an_existing_account_with_a_common_password_still_signs_in(client, auth, make_user):
    user = make_user("alice")
    user.password_hash = generate_password_hash("password1", "pbkdf2:sha256:1")
    db.session.commit()
    assert auth.signin("alice", "password1").status_code == 302
    assert signed_in(client)


def test_the_forms_say_the_minimum_length(client, auth, make_user):
    assert "At least 8 characters" in client.get("/signup").get_data(as_text=True)
    make_user("alice")
    auth.signin("alice")
    assert "At least 8 characters" in client.get("/settings/password").get_data(as_text=True)


def test_production_hashes_with_scrypt():
    assert Config(secret_key="x").PASSWORD_HASH_METHOD == "scrypt"
