"""Watched words: a company's moderators list words that block a customer's post (the
author is asked to rephrase, and keeps their text) or hold it hidden for review."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forum.events.models import Event
from forum.extensions import db
from forum.moderation import watched
from forum.moderation.models import Review, WatchedWord
from forum.threads.models import Post, Thread
from ideas.models import Idea
from tests.integration.moderation.conftest import post_path, thread_url

WORDS = "/c/acme/manage/watched-words"
HTMX = {"HX-Request": "true"}
BLOCKED = ("Your post contains “{}”, which Acme does not allow here. Please rephrase.")


def fresh() -> None:
    db.session.rollback()
    db.session.expire_all()


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def text(response) -> str:
    return response.get_data(as_text=True).replace("&#34;", '"').replace("&#39;", "'")


@pytest.fixture
def words(scene):
    watched.add_watched_word(scene.moderator, scene.company, "Buy now", "block")
    watched.add_watched_word(scene.moderator, scene.company, "crypto", "hold")
    return scene


# Managing the list.

def test_moderators_add_words_and_remove_them_after_confirming(client, auth, scene):
    auth.signin("mona")
    page = client.get(WORDS)
    assert page.status_code == 200 and "No watched words yet." in text(page)
    response = client.post(WORDS, data={"phrase": "  Buy   NOW ", "action": "block"})
    assert response.status_code == 302 and response.headers["Location"].endswith(WORDS)
    listed = text(client.get(WORDS))
    assert "<strong>buy now</strong> · blocked" in listed and "Watched from now on" in listed
    assert "Stop watching for “buy now”?" in listed  # the confirmation before removing
    word = db.session.scalar(select(WatchedWord))
    assert (word.phrase, word.action, word.created_by_id) == ("buy now", "block",
                                                              scene.moderator.id)
    response = client.post(f"{WORDS}/{word.id}/remove")
    assert response.status_code == 302
    assert "“buy now” is not watched any more." in text(client.get(WORDS))
    assert client.post(f"{WORDS}/{word.id}/remove").status_code == 404
    fresh()
    assert count(WatchedWord) == 0
    assert list(db.session.scalars(select(Event.type).where(
        Event.type.like("company.watched_word%")).order_by(Event.id))) == [
        "company.watched_word_added", "company.watched_word_removed"]


def test_with_htmx_the_list_changes_in_place(client, auth, scene):
    auth.signin("mona")
    added = client.post(WORDS, data={"phrase": "crypto", "action": "hold"}, headers=HTMX)
    assert added.status_code == 200
    assert 'id="watched-words"' in text(added) and "held for review" in text(added)
    assert "<html" not in text(added)
    word = db.session.scalar(select(WatchedWord))
    removed = client.post(f"{WORDS}/{word.id}/remove", headers=HTMX)
    assert removed.status_code == 200 and "No watched words yet." in text(removed)


@pytest.mark.parametrize(("form", "status", "message"), [
    ({"phrase": "", "action": "block"}, 422, "Write the word or phrase to watch for."),
    ({"phrase": "   ", "action": "hold"}, 422, "Write the word or phrase to watch for."),
    ({"phrase": "x" * 101, "action": "block"}, 422,
     "Watched words are at most 100 characters (101 now)."),
    ({"phrase": "spam", "action": "delete"}, 422, "Choose what happens to a post with it"),
    ({"phrase": "spam"}, 422, "Choose what happens to a post with it"),
    ({"phrase": "CRYPTO", "action": "block"}, 409, "“crypto” is watched already."),
])
@pytest.mark.parametrize("headers", [{}, HTMX])
def test_a_refused_word_says_why_and_saves_nothing(client, auth, words, form, status,
                                                   message, headers):
    auth.signin("mona")
    response = client.post(WORDS, data=form, headers=headers)
    assert response.status_code == status and message in text(response)
    fresh()
    assert count(WatchedWord) == 2


def test_only_this_companys_moderators_manage_its_words(client, auth, words, make_company,
                                                        make_staff):
    make_staff(words.company, "team", "theo")
    make_staff(make_company("globex"), "moderator", "gus")
    word = db.session.scalar(select(WatchedWord))
    for login in ("troll", "theo", "gus"):
        auth.signout()
        auth.signin(login)
        assert client.get(WORDS).status_code == 403
        assert client.post(WORDS, data={"phrase": "x", "action": "block"}).status_code == 403
        assert client.post(f"{WORDS}/{word.id}/remove").status_code == 403
    # Gus at his own company's address, with Acme's word: not found there.
    assert client.post(f"/c/globex/manage/watched-words/{word.id}/remove").status_code == 404
    fresh()
    assert count(WatchedWord) == 2


# Blocking.

@pytest.mark.parametrize(("body", "shown"), [
    ("Buy now!", "Buy now"), ("BUY NOW while it lasts", "BUY NOW"),
    ("Then buy\n  now, friends", "buy\n  now")])
@pytest.mark.parametrize("headers", [{}, HTMX])
def test_a_blocked_word_refuses_the_reply_and_keeps_the_text(client, auth, words, body,
                                                            shown, headers):
    auth.signin("troll")
    response = client.post(thread_url(words.thread, "/reply"), data={"body": body},
                           headers=headers)
    assert response.status_code == 422
    assert BLOCKED.format(shown) in text(response)
    assert f"{body}</textarea>" in text(response)  # the text stays, to rephrase
    fresh()
    assert count(Post) == 2


@pytest.mark.parametrize("body", ["I buy nowhere else", "Cryptography matters",
                                  "Rebuy now", "#crypto_fans"])
def test_a_word_inside_another_word_is_not_matched(client, auth, words, body):
    auth.signin("troll")
    response = client.post(thread_url(words.thread, "/reply"), data={"body": body})
    assert response.status_code == 302
    fresh()
    assert count(Post, Post.hidden_at.is_not(None)) == 0


def test_a_blocked_word_in_a_title_an_idea_or_an_edit_is_refused(client, auth, words):
    auth.signin("troll")
    thread = client.post("/c/acme/forum/new", data={
        "kind": "question", "category": str(words.thread.category_id),
        "title": "Buy now or never?", "body": "Asking."})
    assert thread.status_code == 422 and BLOCKED.format("Buy now") in text(thread)
    assert 'value="Buy now or never?"' in text(thread)
    idea = client.post("/c/acme/ideas/new", data={"title": "A discount button",
                                                   "body": "So people buy now."})
    assert idea.status_code == 422 and BLOCKED.format("buy now") in text(idea)
    edit = client.post(post_path(words.reply, "edit"), data={"body": "Buy now, really"})
    assert edit.status_code == 422 and BLOCKED.format("Buy now") in text(edit)
    fresh()
    assert count(Thread) == 1 and count(Idea) == 0
    assert "cheap watches" in db.session.get(Post, words.reply.id).body_source


def test_staff_are_not_screened(client, auth, words):
    auth.signin("mona")
    response = client.post(thread_url(words.thread, "/reply"),
                           data={"body": "Please do not write “buy now” or crypto here."})
    assert response.status_code == 302
    fresh()
    assert count(Post, Post.hidden_at.is_(None)) == 3


def test_other_companies_do_not_watch_acmes_words(client, auth, words, make_thread,
                                                  make_company):
    elsewhere = make_thread(make_company("globex"))
    auth.signin("troll")
    assert client.post(thread_url(elsewhere, "/reply"),
                       data={"body": "Buy now, crypto"}).status_code == 302


# Holding.

def test_a_held_reply_is_saved_hidden_queued_and_its_author_told(client, auth, words):
    auth.signin("troll")
    response = client.post(thread_url(words.thread, "/reply"),
                           data={"body": "Crypto tips inside"})
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert "it waits for a moderator before anyone else sees it (watched word: crypto)" in page
    fresh()
    post = db.session.scalar(select(Post).order_by(Post.id.desc()))
    assert post.is_hidden and post.hidden_category == "held"
    assert db.session.get(Thread, words.thread.id).reply_count == 1  # only the visible one
    review = db.session.scalar(select(Review).where(Review.post_id == post.id))
    assert review.is_open
    auth.signout()
    assert "Crypto tips" not in text(client.get(thread_url(words.thread)))
    auth.signin("mona")
    queue = text(client.get("/c/acme/manage/moderation"))
    assert "Held for review</strong>: watched word: crypto" in queue
    kept = client.post(f"/c/acme/manage/moderation/{post.id}/keep",
                       data={"note": "Harmless."})
    assert kept.status_code == 302
    fresh()
    assert not db.session.get(Post, post.id).is_hidden


def test_a_held_reply_with_htmx_sends_the_author_to_it(client, auth, words):
    auth.signin("troll")
    response = client.post(thread_url(words.thread, "/reply"),
                           data={"body": "crypto again"}, headers=HTMX)
    assert response.status_code == 200 and "HX-Redirect" in response.headers
    fresh()
    assert count(Post, Post.hidden_category == "held") == 1


def test_a_held_thread_and_a_held_idea_wait_and_their_authors_are_told(client, auth, words):
    auth.signin("troll")
    thread = client.post("/c/acme/forum/new", data={
        "kind": "discussion", "category": str(words.thread.category_id),
        "title": "Crypto payments", "body": "Would be nice."})
    assert thread.status_code == 302 and thread.headers["Location"].endswith("/c/acme/forum")
    assert "waits for a moderator" in text(client.get(thread.headers["Location"]))
    idea = client.post("/c/acme/ideas/new", data={"title": "Pay with crypto please",
                                                   "body": "Lower fees."})
    assert idea.status_code == 302 and idea.headers["Location"].endswith("/c/acme/ideas")
    fresh()
    held = db.session.scalars(select(Thread).where(Thread.hidden_at.is_not(None))).all()
    assert len(held) == 2
    proposed = db.session.scalar(select(Idea))
    assert proposed.vote_count == 1  # the proposer's vote is in, for when it is kept
    assert count(Review, Review.closed_at.is_(None)) == 2


def test_a_held_edit_hides_the_post_until_reviewed(client, auth, words):
    auth.signin("troll")
    response = client.post(post_path(words.reply, "edit"), data={"body": "crypto now"})
    assert response.status_code == 302
    fresh()
    post = db.session.get(Post, words.reply.id)
    assert post.is_hidden and post.hidden_category == "held"
    assert post.body_source == "crypto now" and post.revision_count == 1


def test_the_words_are_read_once_per_request(client, auth, words, count_queries):
    auth.signin("troll")
    with count_queries() as recorded:
        client.post("/c/acme/ideas/new", data={"title": "A quieter fan", "body": "Please."})
    assert sum("FROM watched_words" in statement for statement in recorded) == 1
