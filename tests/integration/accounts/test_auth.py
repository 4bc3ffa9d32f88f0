"""Sign up, sign in, sign out, sessions and their limits, through the web."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from forum.accounts import services
from forum.accounts.models import User
from forum.database import utcnow
from forum.extensions import db
from tests.conftest import PASSWORD
from tests.helpers import reload


def signup(client, username="alice", email="alice@example.com", password=PASSWORD):
    return client.post("/signup", data={"username": username, "email": email,
                                        "password": password})


def test_sign_up_creates_account_and_signs_in(app, client):
    response = signup(client)
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "alice"))
    assert user is not None and user.password_hash != PASSWORD
    assert user.password_hash.startswith(app.config["PASSWORD_HASH_METHOD"] + "$")
    page = client.get("/").get_data(as_text=True)
    assert "Account menu for alice" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"username": "ALICE"}, "That username is taken."),
        ({"username": "a!bc"}, "Usernames are 3 to 30"),
        ({"username": "ab"}, "between 3 and 30"),
        ({"username": "_underscore"}, "Usernames are 3 to 30"),
        ({"email": "not-an-email"}, "Enter an email address"),
        ({"password": "short"}, "between 8 and 128"),
    ],
)
def test_sign_up_refuses_bad_input_and_keeps_what_was_typed(client, make_user, data, message):
    make_user("alice")
    form = {"username": "bob_b", "email": "bob@example.com", "password": PASSWORD} | data
    response = client.post("/signup", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert f'value="{form["username"]}"' in page
    assert db.session.scalar(select(User).where(User.username == "bob_b")) is None


def test_sign_in_with_username_or_email_any_case(client, auth, make_user):
    make_user("alice")
    assert auth.signin("ALICE").status_code == 302
    auth.signout()
    assert auth.signin("Alice@Example.com").status_code == 302


def test_sign_in_failure_says_the_same_whether_or_not_the_account_exists(client, auth,
                                                                        make_user):
    make_user("alice")
    wrong_password = auth.signin("alice", "wrong password")
    no_account = auth.signin("nobody", "wrong password")
    assert wrong_password.status_code == no_account.status_code == 401
    assert services.SIGN_IN_FAILED in wrong_password.get_data(as_text=True)
    assert services.SIGN_IN_FAILED in no_account.get_data(as_text=True)
    assert 'value="wrong password"' not in wrong_password.get_data(as_text=True)


def test_sign_out_needs_a_post(client, auth, make_user):
    make_user("alice")
    auth.signin("alice")
    assert client.get("/signout").status_code == 405
    assert "Account menu" in client.get("/").get_data(as_text=True)
    auth.signout()
    assert "Account menu" not in client.get("/").get_data(as_text=True)


def test_remember_me_sets_a_lasting_cookie(client, auth, make_user):
    make_user("alice")
    auth.signin("alice", remember=True)
    assert client.get_cookie("remember_token") is not None


def test_session_is_new_at_sign_in(client, auth, make_user):
    make_user("alice")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    auth.signin("alice")
    with client.session_transaction() as session:
        assert "planted" not in session
        first = session["_user_id"]
    auth.signout()
    auth.signin("alice")
    with client.session_transaction() as session:
        assert session["_user_id"] != first, "each sign-in names a session of its own"


def test_suspended_account_is_told_until_when(client, auth, make_user, admin):
    user = make_user("alice")
    until = utcnow() + timedelta(days=3)
    services.suspend(admin, user, until, "spam")
    response = auth.signin("alice")
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert f"suspended until {until.strftime('%d %B %Y')}" in page
    assert "spam" in page


def test_suspension_ends_every_session_at_once(app, client, auth, make_user, admin):
    user = make_user("alice")
    auth.signin("alice", remember=True)
    other_device = app.test_client()
    type(auth)(other_device).signin("alice", remember=True)
    assert other_device.get("/settings/profile").status_code == 200
    services.suspend(admin, user, utcnow() + timedelta(days=1))
    for browser in (client, other_device):
        assert browser.get("/settings/profile").status_code == 302
        assert "Account menu" not in browser.get("/").get_data(as_text=True)


def test_password_change_ends_other_sessions_but_not_this_one(app, client, auth, make_user):
    user = make_user("alice")
    auth.signin("alice")
    other_device = app.test_client()
    type(auth)(other_device).signin("alice")
    response = client.post("/settings/password", data={
        "current_password": PASSWORD, "new_password": "a brand new password"})
    assert response.status_code == 302
    assert client.get("/settings/profile").status_code == 200
    assert other_device.get("/settings/profile").status_code == 302
    reload(user)
    assert services.authenticate("alice", "a brand new password").id == user.id


def test_password_change_needs_the_current_password(client, auth, make_user):
    make_user("alice")
    auth.signin("alice")
    response = client.post("/settings/password", data={
        "current_password": "not it at all", "new_password": "a brand new password"})
    assert response.status_code == 422
    assert "current password is not right" in response.get_data(as_text=True)


def test_sign_in_is_rate_limited(app_factory, make_user):
    app = app_factory(RATELIMIT_ENABLED=True, SIGNIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    statuses = [client.post("/signin", data={"login": f"x{i}", "password": "nope-nope"})
                .status_code for i in range(4)]
    assert statuses == [401, 401, 401, 429]
    assert "tried that too often" in client.post("/signin", data={}).get_data(as_text=True)


def test_guessing_one_account_from_many_addresses_is_limited(app_factory, make_user):
    make_user("alice")
    app = app_factory(RATELIMIT_ENABLED=True, SIGNIN_RATE_LIMIT="2 per minute")
    statuses = [
        app.test_client().post("/signin", data={"login": "alice", "password": "guess-guess"},
                               environ_base={"REMOTE_ADDR": f"10.0.0.{i}"}).status_code
        for i in range(3)
    ]
    assert statuses == [401, 401, 429]


def _signin_from(app, forwarded_for: str) -> int:
    """A failed sign-in that came through a proxy (at 10.0.0.1) for `forwarded_for`."""
    return app.test_client().post(
        "/signin", data={"login": f"user-at-{forwarded_for}", "password": "guess-guess"},
        environ_base={"REMOTE_ADDR": "10.0.0.1"},
        headers={"X-Forwarded-For": forwarded_for}).status_code


def test_behind_a_proxy_each_client_address_has_its_own_limit(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, SIGNIN_RATE_LIMIT="1 per minute", PROXY_COUNT=1)
    assert [_signin_from(app, "192.0.2.7"), _signin_from(app, "192.0.2.8"),
            _signin_from(app, "192.0.2.7")] == [401, 401, 429]
    # A client's own X-Forwarded-For comes before what our proxy appends, and is ignored.
    assert _signin_from(app, "198.51.100.1, 192.0.2.8") == 429


def test_without_a_proxy_a_forwarded_address_is_not_believed(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, SIGNIN_RATE_LIMIT="1 per minute")
    assert [_signin_from(app, "192.0.2.7"), _signin_from(app, "192.0.2.8")] == [401, 429]


def test_sign_up_is_rate_limited(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, SIGNUP_RATE_LIMIT="2 per minute")
    client = app.test_client()
    statuses = [signup(client, username=f"user{i}", email="bad").status_code for i in range(3)]
    assert statuses == [422, 422, 429]


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example/x", "/\\evil"])
def test_sign_in_never_redirects_to_another_site(client, make_user, target):
    make_user("alice")
    response = client.post(f"/signin?next={target}",
                           data={"login": "alice", "password": PASSWORD})
    assert response.headers["Location"] == "/home"


def test_sign_in_returns_to_the_page_that_asked(client, make_user):
    make_user("alice")
    response = client.post("/signin?next=/settings/profile",
                           data={"login": "alice", "password": PASSWORD})
    assert response.headers["Location"] == "/settings/profile"


def test_signed_out_visitors_are_sent_to_sign_in_and_back(client):
    response = client.get("/settings/profile")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/signin?next=")
