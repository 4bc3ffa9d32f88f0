"""Deleting one's account: posts kept as "deleted account" or erased, the profile gone,
no way back in, votes still counted, and a company never left without an owner."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select

from forum.accounts.models import NO_PASSWORD, Identity, User, UserSession
from forum.api.models import ApiToken
from forum.api.tokens import create_personal_token
from forum.companies.models import Membership
from forum.database import write_transaction
from forum.events.models import Event
from forum.extensions import db
from forum.notifications.models import Subscription
from forum.threads.models import Post, Thread
from ideas import votes
from ideas.models import Idea, Vote
from tests.conftest import PASSWORD


def delete(client: FlaskClient, *, erase: bool = False, password: str = PASSWORD,
           confirmation: str = "alice") -> Any:
    data = {"password": password, "confirmation": confirmation}
    if erase:
        data["erase"] = "y"
    return client.post("/settings/delete", data=data)


def test_a_deleted_account_keeps_its_posts_as_deleted_account(
        client: FlaskClient, auth: Any, make_user: Callable, make_company: Callable,
        make_thread: Callable, make_reply: Callable, make_idea: Callable) -> None:
    alice, bob = make_user("alice", bio="Kettles"), make_user("bob")
    company = make_company("acme")
    thread = make_thread(company, author=alice, title="Kettle whistles too early")
    make_reply(thread, author=bob, body="Same here.")
    idea = make_idea(company, author=bob, title="A kettle that plays music")
    votes.cast_vote(alice, idea)
    assert db.session.get(Idea, idea.id).vote_count == 2
    auth.signin("alice")
    page = client.get("/settings/delete").get_data(as_text=True)
    assert "Delete my account" in page and "cannot be undone" in page

    answer = delete(client)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    db.session.rollback()
    db.session.expire_all()
    user = db.session.get(User, alice.id)
    assert user.deleted_at is not None and user.name == "deleted account"
    assert user.email is None and user.bio == "" and user.password_hash == ""
    assert user.username == f"deleted-{alice.id}"
    assert db.session.scalar(select(func.count()).select_from(Subscription).where(
        Subscription.user_id == alice.id)) == 0
    assert db.session.scalar(select(func.count()).select_from(UserSession).where(
        UserSession.user_id == alice.id)) == 0
    # Votes stay counted, anonymous.
    assert db.session.get(Idea, idea.id).vote_count == 2
    assert db.session.scalar(select(func.count()).select_from(Vote).where(
        Vote.idea_id == idea.id)) == 2
    # Signed out everywhere, and nobody signs in again.
    assert client.get("/settings/data").status_code == 302
    assert auth.signin("alice").status_code != 302
    assert client.post("/signin", data={"login": f"deleted-{alice.id}",
                                        "password": ""}).status_code != 302
    assert client.get("/u/alice").status_code == 404
    assert client.get(f"/u/deleted-{alice.id}").status_code == 404
    # The thread stays, by "deleted account", and no longer names her.
    page = client.get(f"/c/acme/t/{thread.id}-{thread.slug}").get_data(as_text=True)
    assert "Kettle whistles too early" in page and "deleted account" in page
    assert "alice" not in page and f"/u/deleted-{alice.id}" not in page
    assert db.session.scalar(select(Event.type).order_by(Event.id.desc()).limit(1)) \
        == "user.deleted"
    registered = db.session.scalar(select(Event).where(Event.type == "user.registered",
                                                       Event.subject_id == alice.id))
    assert registered.data == {}


def test_erasing_hides_the_posts_with_their_counters(
        client: FlaskClient, auth: Any, make_user: Callable, make_company: Callable,
        make_thread: Callable, make_reply: Callable) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    company = make_company("acme")
    hers = make_thread(company, author=alice, title="Only my own words here")
    make_reply(hers, author=alice, body="And a follow-up of mine.")
    answered = make_thread(company, author=alice, title="Others replied to this one")
    make_reply(answered, author=bob, body="I replied.")
    theirs = make_thread(company, author=bob, title="Bob asks")
    make_reply(theirs, author=alice, body="Alice answers bob.")
    auth.signin("alice")
    assert delete(client, erase=True).status_code == 302
    db.session.rollback()
    db.session.expire_all()
    mine = db.session.scalars(select(Post).where(Post.author_id == alice.id)).all()
    erased = {post.body_source: post for post in mine if post.hidden_at is not None}
    assert {post.hidden_reason for post in erased.values()} == {"erased by author"}
    assert "And a follow-up of mine." in erased and "Alice answers bob." in erased
    assert db.session.get(Thread, hers.id).hidden_at is not None
    # An opening post others replied to stays, so their replies keep their context.
    assert db.session.get(Thread, answered.id).hidden_at is None
    assert db.session.get(Thread, theirs.id).reply_count == 0
    assert "Alice answers bob." not in client.get(
        f"/c/acme/t/{theirs.id}-{theirs.slug}").get_data(as_text=True)


def test_wrong_password_or_confirmation_deletes_nothing(client: FlaskClient, auth: Any,
                                                       make_user: Callable) -> None:
    make_user("alice")
    auth.signin("alice")
    wrong = delete(client, password="not-my-password")
    assert wrong.status_code == 422 and "Your password is not right." in wrong.get_data(
        as_text=True)
    typo = delete(client, confirmation="alicia")
    assert typo.status_code == 422 and "Type your username" in typo.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(select(User.deleted_at).where(User.username == "alice")) is None


def test_the_last_owner_of_a_company_is_refused(client: FlaskClient, auth: Any,
                                                make_user: Callable, make_company: Callable,
                                                make_staff: Callable) -> None:
    olga = make_user("olga")
    company = make_company("acme", name="Acme", owner=olga)
    auth.signin("olga")
    page = client.get("/settings/delete").get_data(as_text=True)
    assert "You are the only owner of Acme" in page
    refused = delete(client, confirmation="olga")
    assert refused.status_code == 403
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(User, olga.id).deleted_at is None
    # With a second owner, she may go; her role goes with her.
    make_staff(company, "owner", "oscar")
    assert delete(client, confirmation="olga").status_code == 302
    db.session.rollback()
    db.session.expire_all()
    assert db.session.scalars(select(Membership.user_id).where(
        Membership.company_id == company.id)).all() != [olga.id]
    assert olga.id not in db.session.scalars(select(Membership.user_id)).all()


def test_deleting_ends_every_way_in_tokens_and_identities_too(
        client: FlaskClient, auth: Any, make_user: Callable) -> None:
    """An API token or a provider's account left behind would still act as, or sign in
    to, the emptied account; an account a provider made has no password to ask for."""
    alice = make_user("alice")
    auth.signin("alice")
    with write_transaction():
        db.session.add(Identity(user_id=alice.id, issuer="https://sso.example",
                                subject="alice-1", email="alice@example.com"))
        db.session.get_one(User, alice.id).password_hash = NO_PASSWORD
    secret = create_personal_token(alice, "script", ["read", "write"]).secret
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}
                      ).status_code == 200
    page = client.get("/settings/delete").get_data(as_text=True)
    assert 'name="password"' not in page

    answer = client.post("/settings/delete", data={"confirmation": "alice"})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ApiToken).where(
        ApiToken.user_id == alice.id)) == 0
    assert db.session.scalar(select(func.count()).select_from(Identity).where(
        Identity.user_id == alice.id)) == 0
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}
                      ).status_code == 401
