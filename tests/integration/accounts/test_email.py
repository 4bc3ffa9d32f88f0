"""An account's address, by mail to a real SMTP server: confirming it, signing up with an
address someone has, a forgotten password, changing the address. Nothing here tells a
stranger whether an address has an account."""

from __future__ import annotations

import re

from sqlalchemy import select

from forum.accounts.models import User
from forum.extensions import db
from forum.mail import tokens
from tests.conftest import PASSWORD
from tests.smtp import links, path_of


def signup(client, username, email):
    return client.post("/signup", data={"username": username, "email": email,
                                        "password": PASSWORD})


def link_in(message, part: str) -> str:
    return path_of(next(link for link in links(message) if part in link))


def user(username: str) -> User:
    db.session.rollback()
    found = db.session.scalar(select(User).where(User.username == username))
    assert found is not None
    return found


def flashes(response) -> list[str]:
    return re.findall(r'class="alert alert-\w+">([^<]*)<', response.get_data(as_text=True))


def test_sign_up_mails_a_link_that_confirms_the_address(app, client, smtp, send):
    response = signup(client, "alice", "alice@example.com")
    assert response.status_code == 302
    alice = user("alice")
    assert (alice.email, alice.pending_email) == (None, "alice@example.com")
    page = client.get("/").get_data(as_text=True)
    assert "Confirm your email address" in page
    send()
    [message] = smtp.inbox.to("alice@example.com")
    assert message["Subject"] == "Confirm your email address for Cocreate"
    assert message["List-Unsubscribe"] is None  # an account's own mail is not a list
    confirmed = client.get(link_in(message, "/email/confirm/"))
    assert confirmed.status_code == 302
    alice = user("alice")
    assert (alice.email, alice.pending_email) == ("alice@example.com", None)
    assert alice.email_confirmed_at is not None
    assert client.get(link_in(message, "/email/confirm/")).status_code == 302  # twice: fine


def test_an_email_signs_in_only_once_it_is_confirmed(app, smtp, send, auth, client):
    signup(app.test_client(), "alice", "alice@example.com")
    assert auth.signin("alice@example.com").status_code == 401
    send()
    [message] = smtp.inbox.to("alice@example.com")
    app.test_client().get(link_in(message, "/email/confirm/"))
    assert auth.signin("alice@example.com").status_code == 302


def test_sign_up_with_an_address_someone_has_answers_alike_and_tells_its_owner(
        app, smtp, send, make_user):
    make_user("owner")
    fresh = signup(app.test_client(), "newcomer", "fresh@example.com")
    taken = signup(app.test_client(), "intruder", "OWNER@example.com")
    assert (fresh.status_code, fresh.headers["Location"]) == \
        (taken.status_code, taken.headers["Location"])
    assert user("intruder").email is None
    assert user("owner").email == "owner@example.com"
    send()
    [to_owner] = smtp.inbox.to("OWNER@example.com")
    assert to_owner["Subject"] == "Someone tried to use your address on Cocreate"
    text = to_owner.get_body(("plain",)).get_content()
    assert "sign in as owner" in text and "/email/confirm/" not in text
    assert "/password/forgot" in text


def test_a_forged_or_expired_confirmation_link_is_a_400_and_changes_nothing(
        app, client, make_user):
    alice = make_user("alice", confirmed=False)
    with app.test_request_context():
        good = tokens.sign(tokens.CONFIRM_EMAIL, [alice.id, "alice@example.com"])
        other = tokens.sign(tokens.CONFIRM_EMAIL, [alice.id, "mallory@example.com"])
    forged = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    for token, message in ((forged, "not valid"), (other, "no longer asks for")):
        response = client.get(f"/email/confirm/{token}")
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
    app.config["CONFIRM_EMAIL_HOURS"] = -1
    expired = client.get(f"/email/confirm/{good}")
    assert expired.status_code == 400 and "expired" in expired.get_data(as_text=True)
    assert user("alice").email is None


def test_forgot_password_answers_alike_and_its_link_works_once(app, smtp, send, client,
                                                               make_user, auth):
    make_user("alice")
    known = client.post("/password/forgot", data={"email": "alice@example.com"})
    unknown = client.post("/password/forgot", data={"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    send()
    assert smtp.inbox.to("nobody@example.com") == []
    [message] = smtp.inbox.to("alice@example.com")
    path = link_in(message, "/password/reset/")
    assert "alice" in client.get(path).get_data(as_text=True)
    changed = client.post(path, data={"password": "a whole new passphrase"})
    assert changed.status_code == 302
    again = client.post(path, data={"password": "yet another passphrase"})
    assert again.status_code == 400
    assert "has been used" in again.get_data(as_text=True)
    assert auth.signin("alice", "a whole new passphrase").status_code == 302


def test_a_reset_ends_every_session_of_the_account(app, smtp, send, make_user, auth, client):
    make_user("alice")
    auth.signin("alice")
    app.test_client().post("/password/forgot", data={"email": "alice@example.com"})
    send()
    [message] = smtp.inbox.to("alice@example.com")
    app.test_client().post(link_in(message, "/password/reset/"),
                           data={"password": "a whole new passphrase"})
    assert "Account menu for alice" not in client.get("/").get_data(as_text=True)


def test_changing_the_address_confirms_at_the_new_one_and_tells_the_old(
        app, smtp, send, make_user, auth, client):
    make_user("alice")
    auth.signin("alice")
    wrong = client.post("/settings/email", data={"email": "new@example.com",
                                                 "password": "not it"})
    assert wrong.status_code == 422
    response = client.post("/settings/email", data={"email": "new@example.com",
                                                    "password": PASSWORD})
    assert response.status_code == 302
    assert user("alice").email == "alice@example.com"  # until confirmed
    send()
    [message] = smtp.inbox.to("new@example.com")
    client.get(link_in(message, "/email/confirm/"))
    assert user("alice").email == "new@example.com"
    send()
    [notice] = smtp.inbox.to("alice@example.com")
    assert notice["Subject"] == "Your Cocreate address was changed"
    assert "new@example.com" in notice.get_body(("plain",)).get_content()


def test_changing_to_an_address_someone_has_answers_alike(app, smtp, send, make_user, auth,
                                                          client):
    make_user("alice")
    make_user("bob")
    auth.signin("alice")
    taken = client.post("/settings/email", data={"email": "bob@example.com",
                                                 "password": PASSWORD})
    free = client.post("/settings/email", data={"email": "free@example.com",
                                                "password": PASSWORD})
    assert taken.status_code == free.status_code == 302
    send()
    [to_bob] = smtp.inbox.to("bob@example.com")
    assert "/email/confirm/" not in to_bob.get_body(("plain",)).get_content()
    assert user("alice").email == "alice@example.com"


def test_nobody_holds_an_address_by_naming_it_first(app, smtp, send, make_user):
    signup(app.test_client(), "squatter", "victim@example.com")
    victim_client = app.test_client()
    signup(victim_client, "victim", "victim@example.com")
    send()
    confirmations = smtp.inbox.to("victim@example.com")
    assert len(confirmations) == 2  # one link per account: only the owner can open one
    victims = [message for message in confirmations
               if "Hello victim" in message.get_body(("plain",)).get_content()]
    victim_client.get(link_in(victims[0], "/email/confirm/"))
    assert user("victim").email == "victim@example.com"
    assert user("squatter").email is None


def test_resend_mails_the_link_again(app, smtp, send, client):
    signup(client, "alice", "alice@example.com")
    client.post("/settings/email/resend")
    send()
    assert len(smtp.inbox.to("alice@example.com")) == 2


def test_asking_for_reset_links_is_limited_per_address_from_anywhere(app_factory, make_user):
    make_user("alice")
    app = app_factory(RATELIMIT_ENABLED=True, MAIL_REQUEST_RATE_LIMIT="2 per minute")
    statuses = [
        app.test_client().post("/password/forgot", data={"email": "alice@example.com"},
                               environ_base={"REMOTE_ADDR": f"10.0.0.{i}"}).status_code
        for i in range(3)
    ]
    assert statuses == [302, 302, 429]
