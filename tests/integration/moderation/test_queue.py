"""The review queue: flagged posts with their flags and their author's record, and
decisions that always carry a reason, for this company's moderators only."""

from __future__ import annotations

from sqlalchemy import func, select

from forum.extensions import db
from forum.moderation import flags
from forum.moderation.models import Flag, ModerationAction, Review
from forum.threads.models import Post, Thread
from tests.helpers import assert_queries_stay_flat
from tests.integration.moderation.conftest import thread_page

QUEUE = "/c/acme/manage/moderation"


def decide(client, post, decision, **form):
    return client.post(f"{QUEUE}/{post.id}/{decision}", data=form)


def test_the_queue_shows_each_flag_and_the_authors_record(client, auth, make_user, scene):
    flags.flag_post(make_user("carol"), scene.reply, "spam")
    flags.flag_post(make_user("dave"), scene.reply, "other", "Links to a shop")
    auth.signin("mona")
    page = client.get(QUEUE).get_data(as_text=True)
    assert "1 open" in page and "Where is the filter?" in page
    assert "spam</strong> by carol" in page and "“Links to a shop”" in page
    assert "0 earlier actions against them here" in page
    manage = client.get("/c/acme/manage").get_data(as_text=True)
    assert "1 flagged post waiting for review" in manage and ">Moderation</a>" in manage


def test_hiding_from_the_queue_asks_a_reason_and_tells_the_author(client, auth, make_user,
                                                                   scene, notify):
    flags.flag_post(make_user("carol"), scene.reply, "spam")
    auth.signin("mona")
    refused = decide(client, scene.reply, "hide")
    assert refused.status_code == 422 and "Choose a reason." in refused.get_data(as_text=True)
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Post, scene.reply.id).hidden_at is None
    response = decide(client, scene.reply, "hide", reason="spam", note="Advertising.")
    assert response.status_code == 302
    db.session.rollback()
    db.session.expire_all()
    post = db.session.get(Post, scene.reply.id)
    assert post.hidden_category == "spam" and post.hidden_reason == "Advertising."
    assert db.session.scalar(select(Review)).outcome == "hide"
    assert db.session.scalar(select(func.count()).select_from(Flag).where(
        Flag.resolved_at.is_(None))) == 0
    assert "Nothing is waiting" in client.get(QUEUE).get_data(as_text=True)
    notify()
    auth.signout()
    auth.signin("troll")
    told = client.get("/notifications").get_data(as_text=True)
    assert "Acme\u2019s moderators removed your post in “Where is the filter?” (spam): " \
           "Advertising." in told
    page = client.get(thread_page(scene.thread)).get_data(as_text=True)
    assert "Removed by Acme\u2019s moderators: spam" in page
    assert "Advertising." in page and "cheap watches" in page  # the author sees all


def test_keeping_dismisses_the_flags_and_shows_a_threshold_hide_again(
        client, auth, scene, trusted_flagger):
    for name in ("ann", "ben", "cat"):
        flags.flag_post(trusted_flagger(name), scene.reply, "spam")
    auth.signin("mona")
    assert decide(client, scene.reply, "keep").status_code == 422  # the note is required
    response = decide(client, scene.reply, "keep", note="A real shop, and on topic.")
    assert response.status_code == 302
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Post, scene.reply.id).hidden_at is None
    assert db.session.get(Thread, scene.thread.id).reply_count == 1
    again = decide(client, scene.reply, "keep", note="Again.")
    assert again.status_code == 403
    assert "This item was already reviewed." in again.get_data(as_text=True)


def test_locking_from_the_queue(client, auth, make_user, scene):
    flags.flag_post(make_user("carol"), scene.reply, "off_topic")
    auth.signin("mona")
    response = client.post(f"{QUEUE}/{scene.reply.id}/lock",
                           data={"reason": "off_topic", "note": "Heated."},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Thread locked" in response.get_data(as_text=True)
    assert "0 open items left" in response.get_data(as_text=True)
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Thread, scene.thread.id).is_locked
    history = client.get(QUEUE)
    assert history.status_code == 200


def test_earlier_actions_count_in_the_authors_record(client, auth, make_user, make_reply,
                                                     scene):
    flags.flag_post(make_user("carol"), scene.reply, "spam")
    auth.signin("mona")
    decide(client, scene.reply, "hide", reason="spam")
    again = make_reply(scene.thread, author=scene.author, body="More watches")
    flags.flag_post(make_user("dave"), again, "spam")
    assert "1 earlier action against them here" in client.get(QUEUE).get_data(as_text=True)


def test_a_moderator_of_another_company_can_do_nothing_here(
        client, auth, make_user, make_company, make_staff, scene):
    other = make_company("globex")
    make_staff(other, "moderator", "gus")
    flags.flag_post(make_user("carol"), scene.reply, "spam")
    auth.signin("gus")
    assert client.get(QUEUE).status_code == 403
    assert decide(client, scene.reply, "hide", reason="spam").status_code == 403
    # Their own company's address, with Acme's post: not found there.
    response = client.post(f"/c/globex/manage/moderation/{scene.reply.id}/hide",
                           data={"reason": "spam"})
    assert response.status_code == 404
    assert client.post(f"/c/acme/t/{scene.thread.id}/posts/{scene.reply.id}/hide",
                       data={"reason": "spam"}).status_code == 403
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Post, scene.reply.id).hidden_at is None
    assert db.session.scalar(select(Review)).closed_at is None
    assert db.session.scalar(select(func.count()).select_from(ModerationAction)) == 0


def test_customers_and_team_members_have_no_queue(client, auth, make_staff, scene):
    make_staff(scene.company, "team", "theo")
    pages = (QUEUE, "/c/acme/manage/bans", "/c/acme/manage/watched-words")
    for login in ("troll", "theo"):
        auth.signout()
        auth.signin(login)
        assert [client.get(page).status_code for page in pages] == [403, 403, 403]
    auth.signout()
    assert [client.get(page).status_code for page in pages] == [302, 302, 302]  # sign in


def test_the_queue_runs_the_same_statements_however_long(client, auth, make_user,
                                                          make_reply, scene, count_queries):
    auth.signin("mona")
    flagger = make_user("carol")
    other = make_user("dave")

    def grow(n: int) -> None:
        for _ in range(n):
            reply = make_reply(scene.thread, author=make_user())
            flags.flag_post(flagger, reply, "spam")
            flags.flag_post(other, reply, "other", "Odd")

    assert_queries_stay_flat(client, count_queries, QUEUE, grow)
