"""Appeals: the author of a hidden post asks once for it back; a moderator other than the
one who hid it decides (the site admins when there is none), and the author is told."""

from __future__ import annotations

from sqlalchemy import func, select

from forum.database import write_transaction
from forum.events.models import Event
from forum.extensions import db
from forum.moderation import hiding
from forum.moderation.models import PENDING_REVIEW, Appeal, ModerationAction
from forum.notifications.models import Notification
from forum.threads.models import Post, Thread
from tests.integration.moderation.conftest import post_path, thread_page


def reload(*rows):
    db.session.rollback()
    db.session.expire_all()
    return [db.session.get(type(row), row.id) for row in rows]


def hide(client, auth, post, who="mona", reason="spam", note="Advertising."):
    auth.signin(who)
    assert client.post(post_path(post, "hide"),
                       data={"reason": reason, "note": note}).status_code == 302
    auth.signout()


def appeals() -> list[Appeal]:
    db.session.rollback()  # see what the requests committed
    return list(db.session.scalars(select(Appeal).order_by(Appeal.id)))


def told(user, notify) -> list[str]:
    """The event types of `user`'s notifications, oldest first."""
    notify()
    return list(db.session.scalars(
        select(Event.type).join(Notification, Notification.event_id == Event.id)
        .where(Notification.user_id == user.id).order_by(Notification.id)))


def decide_path(company, appeal) -> str:
    return f"/c/{company.slug}/manage/appeals/{appeal.id}"


def test_the_author_appeals_once_and_another_moderator_restores(
        client, auth, scene, make_staff, notify):
    other = make_staff(scene.company, "moderator", "mike")
    hide(client, auth, scene.reply)
    auth.signin("troll")
    page = client.get(thread_page(scene.thread)).get_data(as_text=True)
    assert "Appeal this removal" in page
    assert client.get(post_path(scene.reply, "appeal")).status_code == 200
    assert client.post(post_path(scene.reply, "appeal"), data={"text": ""}).status_code == 422
    assert client.post(post_path(scene.reply, "appeal"),
                       data={"text": "x" * 1001}).status_code == 422
    assert appeals() == []
    response = client.post(post_path(scene.reply, "appeal"),
                           data={"text": "It was a real answer: that shop sells filters."})
    assert response.status_code == 302
    (appeal,) = appeals()
    assert appeal.assignee_id == other.id and appeal.hidden_by_id == scene.moderator.id
    again = client.post(post_path(scene.reply, "appeal"), data={"text": "Please?"})
    assert again.status_code == 409 and "You appealed this removal already" in again.get_data(
        as_text=True)
    assert len(appeals()) == 1
    page = client.get(thread_page(scene.thread)).get_data(as_text=True)
    assert "You appealed" in page and "Appeal this removal" not in page
    assert "appeal.filed" in told(other, notify)
    assert "appeal.filed" not in told(scene.moderator, notify)

    # The moderator who hid it sees the appeal but may not decide it.
    auth.signout()
    auth.signin("mona")
    listed = client.get(f"/c/{scene.company.slug}/manage/appeals").get_data(as_text=True)
    assert "that shop sells filters" in listed
    assert "You hid this post, so another moderator decides its appeal." in listed
    refused = client.post(decide_path(scene.company, appeal),
                          data={"outcome": "restore", "note": "Fine."})
    assert refused.status_code == 403
    (post,) = reload(scene.reply)
    assert post.is_hidden

    auth.signout()
    auth.signin("mike")
    assert client.post(decide_path(scene.company, appeal),
                       data={"outcome": "restore", "note": ""}).status_code == 422
    assert client.post(decide_path(scene.company, appeal),
                       data={"outcome": "forget", "note": "Hm."}).status_code == 422
    (post, appeal) = reload(scene.reply, appeal)
    assert post.is_hidden and appeal.is_open
    response = client.post(decide_path(scene.company, appeal),
                           data={"outcome": "restore", "note": "It answers the question."})
    assert response.status_code == 302
    post, thread, appeal = reload(scene.reply, scene.thread, appeal)
    assert not post.is_hidden and thread.reply_count == 1
    assert appeal.outcome == "restore" and appeal.decided_by_id == other.id
    assert client.post(decide_path(scene.company, appeal),
                       data={"outcome": "uphold", "note": "Again."}).status_code == 403
    # The author hears the decision once, not the restore besides.
    types = told(scene.author, notify)
    assert types.count("appeal.decided") == 1 and "post.restored" not in types
    auth.signout()
    auth.signin("troll")
    heard = client.get("/notifications").get_data(as_text=True)
    assert "accepted your appeal and restored your post" in heard
    assert "It answers the question." in heard
    log = client.get(f"/c/{scene.company.slug}/moderation-log").get_data(as_text=True)
    assert "Hidden" in log and "Restored" in log and "that shop sells filters" not in log


def test_an_upheld_removal_stays_and_says_why(client, auth, scene, make_staff, notify):
    make_staff(scene.company, "owner", "olga")
    hide(client, auth, scene.reply)
    auth.signin("troll")
    client.post(post_path(scene.reply, "appeal"), data={"text": "Not spam."})
    auth.signout()
    auth.signin("olga")
    (appeal,) = appeals()
    response = client.post(decide_path(scene.company, appeal),
                           data={"outcome": "uphold", "note": "Three links to a shop."},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "The post stays hidden" in response.get_data(as_text=True)
    (post,) = reload(scene.reply)
    assert post.is_hidden
    assert db.session.scalar(select(func.count()).select_from(ModerationAction).where(
        ModerationAction.action == "uphold")) == 1
    assert "appeal.decided" in told(scene.author, notify)
    auth.signout()
    auth.signin("troll")
    page = client.get(thread_page(scene.thread)).get_data(as_text=True)
    assert "the post stays removed" in page and "Three links to a shop." in page
    assert "Appeal this removal" not in page
    assert client.post(post_path(scene.reply, "appeal"),
                       data={"text": "Once more"}).status_code == 409
    log = client.get(f"/c/{scene.company.slug}/moderation-log").get_data(as_text=True)
    assert "Removal upheld on appeal" in log and "Not spam." not in log


def test_with_no_other_moderator_the_site_admins_decide(client, auth, scene, admin, notify):
    hide(client, auth, scene.reply)
    auth.signin("troll")
    client.post(post_path(scene.reply, "appeal"), data={"text": "Not spam."})
    (appeal,) = appeals()
    assert appeal.assignee_id is None
    assert "appeal.filed" in told(admin, notify)
    assert client.get("/admin/appeals").status_code == 403
    auth.signout()
    auth.signin("root")
    listed = client.get("/admin/appeals").get_data(as_text=True)
    assert "Not spam." in listed and "for the site admins" in listed
    response = client.post(decide_path(scene.company, appeal),
                           data={"outcome": "restore", "note": "A fair answer.",
                                 "next": "/admin/appeals"})
    assert response.status_code == 302 and response.location.endswith("/admin/appeals")
    (post,) = reload(scene.reply)
    assert not post.is_hidden


def test_nobody_else_appeals_or_decides(client, auth, scene, make_company, make_staff,
                                        make_user):
    make_staff(scene.company, "moderator", "mike")
    elsewhere = make_company("globex")
    make_staff(elsewhere, "moderator", "gus")
    make_user("bystander")
    auth.signin("troll")
    assert client.post(post_path(scene.reply, "appeal"),
                       data={"text": "Not hidden yet"}).status_code == 403
    auth.signout()
    hide(client, auth, scene.reply)
    auth.signin("bystander")
    assert client.post(post_path(scene.reply, "appeal"),
                       data={"text": "On their behalf"}).status_code == 403
    auth.signout()
    auth.signin("troll")
    client.post(post_path(scene.reply, "appeal"), data={"text": "Not spam."})
    (appeal,) = appeals()
    auth.signout()
    auth.signin("gus")
    # Another company's moderator: not through their own company, not through this one.
    assert client.post(decide_path(elsewhere, appeal),
                       data={"outcome": "restore", "note": "x"}).status_code == 404
    assert client.post(decide_path(scene.company, appeal),
                       data={"outcome": "restore", "note": "x"}).status_code == 403
    assert client.get(f"/c/{scene.company.slug}/manage/appeals").status_code == 403
    (post, appeal) = reload(scene.reply, appeal)
    assert post.is_hidden and appeal.is_open


def test_an_author_reads_and_appeals_a_removed_thread(client, auth, scene, make_staff,
                                                      make_user):
    make_staff(scene.company, "moderator", "mike")
    opening = db.session.scalar(select(Post).where(Post.thread_id == scene.thread.id,
                                                   Post.number == 1))
    hide(client, auth, opening, reason="off_topic", note="Not about our products.")
    (thread,) = reload(scene.thread)
    assert thread.is_hidden
    assert client.get(thread_page(scene.thread)).status_code == 404  # visitors
    auth.signin("asker")
    page = client.get(thread_page(scene.thread))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Not about our products." in text and "Appeal this removal" in text
    assert client.post(post_path(opening, "appeal"),
                       data={"text": "It is about the filter."}).status_code == 302
    auth.signout()
    auth.signin("mike")
    (appeal,) = appeals()
    client.post(decide_path(scene.company, appeal),
                data={"outcome": "restore", "note": "On topic after all."})
    (thread,) = reload(scene.thread)
    assert not thread.is_hidden
    assert db.session.get(Thread, scene.thread.id).hidden_at is None


def test_a_post_hidden_again_may_be_appealed_again(client, auth, scene, make_staff):
    make_staff(scene.company, "moderator", "mike")
    hide(client, auth, scene.reply)
    auth.signin("troll")
    client.post(post_path(scene.reply, "appeal"), data={"text": "Not spam."})
    auth.signout()
    auth.signin("mike")
    (appeal,) = appeals()
    client.post(decide_path(scene.company, appeal),
                data={"outcome": "restore", "note": "Fine."})
    auth.signout()
    hide(client, auth, scene.reply, reason="abuse", note="Rude this time.")
    auth.signin("troll")
    page = client.get(thread_page(scene.thread)).get_data(as_text=True)
    assert "Appeal this removal" in page and "You appealed" not in page
    assert client.post(post_path(scene.reply, "appeal"),
                       data={"text": "Still not."}).status_code == 302
    assert len(appeals()) == 2


def test_a_post_awaiting_review_is_appealed_only_once_decided(client, auth, scene, make_staff,
                                                              notify):
    """Hidden by the flag threshold, the post waits for a moderator: its author is told so
    gently, and appeals only what a moderator decided."""
    make_staff(scene.company, "moderator", "mike")
    with write_transaction():
        hiding.hide(scene.reply, None, PENDING_REVIEW, "hidden pending review after 3 flags")
    notify()
    auth.signin("troll")
    page = client.get(thread_page(scene.thread)).get_data(as_text=True)
    assert "Hidden until Acme\u2019s moderators review it" in page
    assert "Appeal this removal" not in page
    refused = client.post(post_path(scene.reply, "appeal"), data={"text": "Not spam."})
    assert refused.status_code == 403
    assert "you can appeal once they decide" in refused.get_data(as_text=True)
    heard = client.get("/notifications").get_data(as_text=True)
    assert "Your post in \u201cWhere is the filter?\u201d is hidden until Acme\u2019s " \
           "moderators review it" in heard
    assert appeals() == []
