"""Flagging a post: once, with a reason, rate-limited, seen by whoever flagged it, and
hidden at once after the company's threshold of trusted flags."""

from __future__ import annotations

from sqlalchemy import func, select

from forum.database import write_transaction
from forum.events.models import Event
from forum.extensions import db
from forum.moderation import flags
from forum.moderation.models import Flag, ModerationAction, Review
from forum.threads.models import Post, Thread
from tests.integration.moderation.conftest import post_path, thread_page


def count(model, *where) -> int:
    db.session.rollback()
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_a_customer_flags_a_reply_and_sees_it(client, auth, make_user, scene):
    make_user("carol")
    auth.signin("carol")
    response = client.post(post_path(scene.reply, "flag"), data={"reason": "spam"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You flagged this: spam" in page
    flagged = client.get("/settings/flags").get_data(as_text=True)
    assert "Where is the filter?" in flagged and "Waiting for the moderators" in flagged
    db.session.rollback()
    db.session.expire_all()
    review = db.session.scalar(select(Review).where(Review.post_id == scene.reply.id))
    assert review.open_flags == 1 and review.closed_at is None
    assert count(Event, Event.type == "post.flagged") == 1


def test_flagging_by_htmx_swaps_the_control(client, auth, make_user, scene):
    make_user("carol")
    auth.signin("carol")
    response = client.post(post_path(scene.reply, "flag"), headers={"HX-Request": "true"},
                           data={"reason": "abuse"})
    assert response.status_code == 200
    assert "You flagged this: abuse or harassment" in response.get_data(as_text=True)


def test_flagging_twice_is_a_conflict(client, auth, make_user, scene):
    make_user("carol")
    auth.signin("carol")
    client.post(post_path(scene.reply, "flag"), data={"reason": "spam"})
    response = client.post(post_path(scene.reply, "flag"), data={"reason": "abuse"})
    assert response.status_code == 409
    assert "You flagged this post already." in response.get_data(as_text=True)
    assert count(Flag) == 1


def test_nobody_flags_their_own_post(client, auth, scene):
    auth.signin("troll")
    response = client.post(post_path(scene.reply, "flag"), data={"reason": "spam"})
    assert response.status_code == 403
    assert "You cannot flag your own post" in response.get_data(as_text=True)
    assert count(Flag) == 0 and count(Review) == 0


def test_other_needs_words_and_notes_have_a_limit(client, auth, make_user, scene):
    make_user("carol")
    auth.signin("carol")
    response = client.post(post_path(scene.reply, "flag"), data={"reason": "other"})
    assert response.status_code == 422 and "needs a few words" in response.get_data(as_text=True)
    response = client.post(post_path(scene.reply, "flag"),
                           data={"reason": "spam", "note": "x" * 501})
    assert response.status_code == 422 and "at most 500" in response.get_data(as_text=True)
    response = client.post(post_path(scene.reply, "flag"), data={"reason": "rude"})
    assert response.status_code == 422 and "Choose why" in response.get_data(as_text=True)
    assert count(Flag) == 0 and count(Review) == 0


def test_flags_are_rate_limited_per_hour(app, client, auth, make_user, make_reply, scene):
    app.config["FLAGS_PER_HOUR"] = 2
    replies = [make_reply(scene.thread, author=scene.author) for _ in range(3)]
    make_user("carol")
    auth.signin("carol")
    for reply in replies[:2]:
        assert client.post(post_path(reply, "flag"), data={"reason": "spam"}).status_code == 302
    response = client.post(post_path(replies[2], "flag"), data={"reason": "spam"})
    assert response.status_code == 429
    assert "You can flag 2 posts an hour" in response.get_data(as_text=True)
    assert count(Flag) == 2


def test_visitors_are_asked_to_sign_in(client, scene):
    response = client.post(post_path(scene.reply, "flag"), data={"reason": "spam"})
    assert response.status_code == 302 and "/signin" in response.headers["Location"]
    assert count(Flag) == 0


def test_trusted_flags_hide_a_post_at_the_threshold(client, auth, make_user, scene,
                                                    trusted_flagger):
    newcomer = make_user("newcomer")  # not trusted: counts in the queue, not the threshold
    flags.flag_post(newcomer, scene.reply, "spam")
    for name in ("ann", "ben"):
        flags.flag_post(trusted_flagger(name), scene.reply, "spam")
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Post, scene.reply.id).hidden_at is None
    flags.flag_post(trusted_flagger("cat"), scene.reply, "abuse")
    db.session.rollback()
    db.session.expire_all()
    post = db.session.get(Post, scene.reply.id)
    assert post.hidden_at is not None and post.hidden_category == "pending_review"
    assert post.hidden_reason == "hidden pending review after 3 flags"
    assert db.session.get(Thread, scene.thread.id).reply_count == 0
    review = db.session.scalar(select(Review))
    assert (review.open_flags, review.trusted_flags) == (4, 3)
    assert count(Event, Event.type == "post.hidden") == 1
    page = client.get(thread_page(scene.thread)).get_data(as_text=True)
    assert ("Hidden until Acme\u2019s moderators review it (hidden pending review)"
            in page)
    assert "cheap watches" not in page


def test_a_burst_of_flags_hides_once_and_makes_one_review(scene, trusted_flagger):
    people = [trusted_flagger(f"flagger{n}") for n in range(8)]
    # All of them in one transaction, as a burst of requests would land one after another.
    with write_transaction():
        for person in people:
            flags.flag_post(person, scene.reply, "spam")
    assert count(Review) == 1 and count(Flag) == 8
    assert count(ModerationAction) == 1  # the one automatic hide
    assert count(Event, Event.type == "post.hidden") == 1
    assert db.session.get(Thread, scene.thread.id).reply_count == 0


def test_a_threshold_of_zero_never_hides(app, client, auth, scene, trusted_flagger):
    auth.signin("mona")
    response = client.post("/c/acme/manage/moderation/settings", data={"threshold": "0"})
    assert response.status_code == 302
    for name in ("ann", "ben", "cat", "dan"):
        flags.flag_post(trusted_flagger(name), scene.reply, "spam")
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Post, scene.reply.id).hidden_at is None
    assert client.post("/c/acme/manage/moderation/settings",
                       data={"threshold": "-1"}).status_code == 422
