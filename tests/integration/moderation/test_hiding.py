"""Hiding a post from its own menu with a reason, the stub everyone sees, and restoring
exactly what was there: the post, the counters, the accepted answer, search."""

from __future__ import annotations

from flask_login import AnonymousUserMixin
from sqlalchemy import select

from forum.events.models import Event
from forum.extensions import db
from forum.search import services as search
from forum.threads import state
from forum.threads.models import Post, Thread
from tests.integration.moderation.conftest import post_path, thread_page


def found(word: str) -> int:
    """How many threads a visitor's search for `word` finds."""
    return search.search(word, viewer=AnonymousUserMixin()).total


def reload(*rows):
    db.session.rollback()
    db.session.expire_all()
    return [db.session.get(type(row), row.id) for row in rows]


def test_hide_needs_a_reason_and_leaves_a_stub(client, auth, make_user, scene):
    auth.signin("mona")
    page = client.get(thread_page(scene.thread)).get_data(as_text=True)
    assert "Hide…" in page and "Remove post" not in page  # a moderator hides, with reasons
    assert client.post(post_path(scene.reply, "hide"), data={}).status_code == 422
    assert client.post(post_path(scene.reply, "hide"),
                       data={"reason": "other"}).status_code == 422  # other needs words
    assert client.post(post_path(scene.reply, "hide"),
                       data={"reason": "spam", "note": "x" * 301}).status_code == 422
    (post,) = reload(scene.reply)
    assert post.hidden_at is None
    response = client.post(post_path(scene.reply, "hide"),
                           data={"reason": "abuse", "note": "Insults."})
    assert response.status_code == 302
    make_user("reader")
    auth.signout()
    auth.signin("reader")
    page = client.get(thread_page(scene.thread)).get_data(as_text=True)
    assert "Removed by Acme\u2019s moderators: abuse or harassment" in page
    assert "Insults." not in page and "cheap watches" not in page
    assert client.post(post_path(scene.reply, "hide"),
                       data={"reason": "spam"}).status_code == 403


def test_restoring_gives_back_what_was_there(client, auth, admin, make_user, make_thread,
                                             make_reply, scene, run_indexer, notify):
    question = make_thread(scene.company, author=make_user("asker2"), title="Filter sizes")
    answer = make_reply(question, author=scene.author, body="Size four fits the zanzibarkettle")
    state.accept_answer(admin, question, answer)
    run_indexer()
    assert found("zanzibarkettle") == 1
    auth.signin("mona")
    client.post(post_path(answer, "hide"), data={"reason": "spam"})
    run_indexer()
    answer, question = reload(answer, question)
    assert question.reply_count == 0 and question.accepted_post_id is None
    assert found("zanzibarkettle") == 0
    assert client.post(post_path(answer, "restore"), data={}).status_code == 422  # why?
    response = client.post(post_path(answer, "restore"), data={"note": "Not spam after all."})
    assert response.status_code == 302
    run_indexer()
    answer, question = reload(answer, question)
    assert answer.hidden_at is None and answer.hidden_category == ""
    assert question.reply_count == 1 and question.accepted_post_id == answer.id
    assert found("zanzibarkettle") == 1
    assert client.post(post_path(answer, "restore"),
                       data={"note": "Again"}).status_code == 403  # not hidden
    notify()
    auth.signout()
    auth.signin("troll")
    told = client.get("/notifications").get_data(as_text=True)
    assert "restored your post in “Filter sizes”: Not spam after all." in told
    assert db.session.scalar(select(Event.data).where(Event.type == "post.restored")) == {
        "number": answer.number, "reason": "Not spam after all."}


def test_restoring_an_opening_post_brings_its_thread_back(client, auth, scene):
    opening = db.session.scalar(select(Post).where(Post.thread_id == scene.thread.id,
                                                   Post.number == 1))
    auth.signin("mona")
    client.post(post_path(opening, "hide"), data={"reason": "personal_information"})
    (thread,) = reload(scene.thread)
    assert thread.is_hidden
    client.post(post_path(opening, "restore"), data={"note": "The address was the shop's."})
    (thread,) = reload(scene.thread)
    assert not thread.is_hidden
    assert thread.category.thread_count == 1


def test_what_the_author_removed_stays_removed(client, auth, scene):
    auth.signin("troll")
    assert client.post(post_path(scene.reply, "delete")).status_code == 302
    auth.signout()
    auth.signin("mona")
    page = client.get(thread_page(scene.thread)).get_data(as_text=True)
    assert "Post removed by its author" in page and "Restore post" not in page
    response = client.post(post_path(scene.reply, "restore"), data={"note": "Back."})
    assert response.status_code == 403
    assert reload(scene.reply)[0].hidden_at is not None


def test_a_moderator_elsewhere_cannot_hide_or_restore(client, auth, make_company,
                                                      make_staff, scene):
    make_staff(make_company("globex"), "moderator", "gus")
    auth.signin("gus")
    assert client.post(post_path(scene.reply, "hide"),
                       data={"reason": "spam"}).status_code == 403
    assert reload(scene.reply)[0].hidden_at is None
    assert db.session.get(Thread, scene.thread.id).reply_count == 1
