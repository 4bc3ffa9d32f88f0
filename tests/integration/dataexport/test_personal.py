"""The personal export: the zip opened and every file checked against what the person
did, and nothing of anyone else's (no password hash, no private space they left)."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from forum.accounts.models import User
from forum.companies import privacy
from forum.dataexport import archive
from forum.events.models import Event
from forum.extensions import db
from forum.moderation import flags
from forum.notifications.services import FOLLOWING, set_following
from forum.threads import posting
from forum.threads.models import Post
from ideas import votes
from tests.conftest import PASSWORD

SECRET_TITLE = "Skunkworks prototype schedule"  # the owner's thread in the private space
BOBS_WORDS = "marmaladeconspiracy"  # only in what bob wrote


def open_zip(answer: Any) -> dict[str, Any]:
    """The zip's files: JSON parsed, text as text."""
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    assert answer.mimetype == "application/zip"
    archived = zipfile.ZipFile(io.BytesIO(answer.get_data()))
    assert archived.testzip() is None
    return {name: (json.loads(archived.read(name)) if name.endswith(".json")
                   else archived.read(name).decode()) for name in archived.namelist()}


@pytest.fixture
def alice(app: Flask, make_user: Callable[..., User], make_company: Callable,
          make_thread: Callable, make_reply: Callable, make_idea: Callable,
          notify: Callable[[], int]) -> dict[str, Any]:
    """Alice wrote, edited, proposed, voted, followed and flagged at a public company; she
    also replied in a private space she has since been taken out of."""
    owner = make_user("olga")
    acme = make_company("acme", name="Acme", owner=owner)
    hush = make_company("hush", name="Hush Labs", owner=owner)
    alice, bob = make_user("alice", bio="I like kettles"), make_user("bob")
    thread = make_thread(acme, author=alice, title="Kettle whistles too early",
                         body="It whistles before the water boils.")
    opening = db.session.scalars(select(Post).where(Post.thread_id == thread.id)).one()
    posting.edit_post(alice, opening, "It whistles well before the water boils.")
    reply = make_reply(thread, author=bob, body=f"Same here {BOBS_WORDS}.")
    mine = make_reply(thread, author=alice, body="Thanks, good to know.")
    idea = make_idea(acme, author=alice, title="A quieter kettle whistle")
    bobs_idea = make_idea(acme, author=bob, title="A kettle that plays music")
    votes.cast_vote(alice, bobs_idea)
    set_following(alice, acme, FOLLOWING)
    flags.flag_post(alice, reply, "spam")
    privacy.invite_guest(owner, hush, username="alice")
    privacy.set_privacy(owner, hush, True)
    secret = make_thread(hush, author=owner, title=SECRET_TITLE, body="Dates inside.")
    private_reply = make_reply(secret, author=alice, body="I can test it in March.")
    privacy.remove_guest(owner, hush, privacy.list_guests(hush)[0].id)
    notify()
    return {"user": alice, "thread": thread, "mine": mine, "idea": idea,
            "bobs_idea": bobs_idea, "flagged": reply, "private_reply": private_reply}



def test_the_personal_export_holds_what_the_person_did_and_nothing_else(
        app: Flask, client: FlaskClient, auth: Any, alice: dict[str, Any]) -> None:
    auth.signin("alice")
    files = open_zip(client.post("/settings/data/export"))
    assert set(files) == {"README.txt", "profile.json", "posts.json", "ideas.json",
                          "votes.json", "follows.json", "notifications.json", "flags.json",
                          "appeals.json", "sessions.json"}
    for name in files:
        if name != "README.txt":
            assert name in files["README.txt"]

    [profile] = files["profile.json"]
    assert profile["username"] == "alice" and profile["bio"] == "I like kettles"
    assert profile["email"] == "alice@example.com" and profile["guest_of"] == []

    posts = {post["id"]: post for post in files["posts.json"]}
    opening = next(post for post in posts.values() if post["number"] == 1)
    assert opening["body"] == "It whistles well before the water boils."
    assert [revision["body"] for revision in opening["revisions"]] == [
        "It whistles before the water boils."]
    assert opening["thread_title"] == "Kettle whistles too early"
    assert opening["company"] == "acme"
    assert posts[alice["mine"].id]["body"] == "Thanks, good to know."
    # Her words in the space she left are hers; its name and the owner's title are not.
    private = posts[alice["private_reply"].id]
    assert private["body"] == "I can test it in March."
    assert private["company"] is None and private["thread_title"] is None

    [idea] = files["ideas.json"]
    assert idea["title"] == "A quieter kettle whistle" and idea["votes"] == 1
    voted = {vote["idea_id"]: vote for vote in files["votes.json"]}
    assert set(voted) == {alice["idea"].id, alice["bobs_idea"].id}
    assert voted[alice["bobs_idea"].id]["title"] == "A kettle that plays music"

    assert {(follow["follows"], follow["name"]) for follow in files["follows.json"]} >= {
        ("company", "acme"), ("thread", "Kettle whistles too early")}
    [flag] = files["flags.json"]
    assert flag["post_id"] == alice["flagged"].id and flag["reason"] == "spam"
    assert files["notifications.json"], "bob's reply to her thread was notified"
    assert files["appeals.json"] == []
    assert files["sessions.json"] and all("key_hash" not in row and "key" not in row
                                          for row in files["sessions.json"])

    everything = "".join(json.dumps(content) if not isinstance(content, str) else content
                         for content in files.values())
    user = db.session.get(User, alice["user"].id)
    assert user.password_hash not in everything and "password_hash" not in everything
    assert BOBS_WORDS not in everything and "bob@example.com" not in everything
    assert SECRET_TITLE not in everything and "Hush Labs" not in everything
    assert '"hush"' not in everything
    db.session.rollback()
    assert db.session.scalar(select(Event.type).where(Event.actor_id == user.id)
                             .order_by(Event.id.desc()).limit(1)) == "user.data_exported"


def test_the_export_is_streamed_in_batches(client: FlaskClient, auth: Any, alice: dict,
                                           monkeypatch: pytest.MonkeyPatch,
                                           count_queries: Callable) -> None:
    """The body is a generator read after the view returned, and rows come a batch at a
    time: with batches of 1, her three posts take more statements than with batches of
    1000."""
    auth.signin("alice")
    answer = client.post("/settings/data/export")
    assert answer.is_streamed and "Content-Length" not in answer.headers
    with count_queries() as big:
        first = open_zip(answer)
    monkeypatch.setattr(archive, "BATCH", 1)
    with count_queries() as small:
        second = open_zip(client.post("/settings/data/export"))
    assert first["posts.json"] == second["posts.json"]
    assert len(small) > len(big) + len(first["posts.json"])


def test_only_signed_in_people_download_their_data(client: FlaskClient) -> None:
    assert client.post("/settings/data/export").status_code in (302, 401)
    assert client.get("/settings/data").status_code in (302, 401)


def test_downloads_are_rate_limited(app_factory: Callable, make_user: Callable) -> None:
    app = app_factory(RATELIMIT_ENABLED=True, EXPORT_RATE_LIMIT="1 per hour")
    with app.app_context():
        make_user("alice")
    browser = app.test_client()
    browser.post("/signin", data={"login": "alice", "password": PASSWORD})
    assert browser.post("/settings/data/export").status_code == 200
    assert browser.post("/settings/data/export").status_code == 429
