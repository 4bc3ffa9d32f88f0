"""Editing with revision history, removing posts, pinning, locking and moving threads."""

from __future__ import annotations

from sqlalchemy import select

from forum.extensions import db
from forum.threads.models import Post, Revision
from tests.helpers import reload


def url(thread, suffix=""):
    return f"/c/{thread.company.slug}/t/{thread.id}{suffix}"


def test_author_edits_and_everyone_sees_it_was_edited(client, auth, make_user, make_thread,
                                                      make_reply):
    thread = make_thread()
    reply = make_reply(thread, author=make_user("bob"), body="Frist!")
    auth.signin("bob")
    response = client.post(url(thread, f"/posts/{reply.id}/edit"), data={"body": "First!"})
    assert response.status_code == 302
    reload(reply)
    assert reply.body_source == "First!" and reply.edited_at is not None
    revisions = db.session.scalars(select(Revision).where(Revision.post_id == reply.id)).all()
    assert [r.body_source for r in revisions] == ["Frist!"]
    auth.signout()
    page = client.get(url(thread, f"-{thread.slug}")).get_data(as_text=True)
    assert "edited" in page and "Frist!" not in page


def test_earlier_versions_for_author_and_staff_only(client, auth, make_user, make_thread,
                                                    make_reply, make_staff):
    thread = make_thread()
    bob = make_user("bob")
    reply = make_reply(thread, author=bob, body="Version one")
    from forum.threads import posting

    posting.edit_post(bob, reply, "Version two")
    history = url(thread, f"/posts/{reply.id}/revisions")
    auth.signin("bob")
    assert "Version one" in client.get(history).get_data(as_text=True)
    auth.signout()
    make_user("eve")
    auth.signin("eve")
    assert client.get(history).status_code == 403
    auth.signout()
    make_staff(thread.company, "team", "theo")
    auth.signin("theo")
    assert "Version one" in client.get(history).get_data(as_text=True)


def test_others_cannot_edit_but_moderators_can(client, auth, make_user, make_thread,
                                               make_reply, make_staff):
    thread = make_thread()
    reply = make_reply(thread, author=make_user("bob"), body="Original")
    make_user("eve")
    auth.signin("eve")
    assert client.post(url(thread, f"/posts/{reply.id}/edit"),
                       data={"body": "Vandalised"}).status_code == 403
    auth.signout()
    make_staff(thread.company, "moderator", "mod")
    auth.signin("mod")
    assert client.post(url(thread, f"/posts/{reply.id}/edit"),
                       data={"body": "Tidied up"}).status_code == 302
    reload(reply)
    assert reply.body_source == "Tidied up"


def test_editing_the_opening_post_can_retitle(client, auth, make_user, make_thread):
    thread = make_thread(author=make_user("alice"))
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id))
    auth.signin("alice")
    client.post(url(thread, f"/posts/{opening.id}/edit"),
                data={"title": "A much better title", "body": "Clearer body"})
    reload(thread)
    assert thread.title == "A much better title" and thread.slug == "a-much-better-title"


def test_removing_a_post_hides_it_and_keeps_it(client, auth, make_user, make_thread,
                                               make_reply):
    thread = make_thread()
    bob = make_user("bob")
    reply = make_reply(thread, author=bob, body="Oops, wrong thread")
    from forum.threads import posting

    posting.edit_post(bob, reply, "Oops, still wrong")
    auth.signin("bob")
    assert client.post(url(thread, f"/posts/{reply.id}/delete")).status_code == 302
    reload(reply, thread)
    assert reply.hidden_at is not None and thread.reply_count == 0
    assert db.session.scalar(select(Revision.body_source).where(Revision.post_id == reply.id))
    page = client.get(url(thread, f"-{thread.slug}")).get_data(as_text=True)
    assert "Post removed" in page and "still wrong" not in page


def test_others_cannot_remove_a_post(client, auth, make_user, make_thread, make_reply):
    thread = make_thread()
    reply = make_reply(thread, author=make_user("bob"))
    make_user("eve")
    auth.signin("eve")
    assert client.post(url(thread, f"/posts/{reply.id}/delete")).status_code == 403
    reload(reply)
    assert reply.hidden_at is None


def test_opening_post_with_replies_stays(client, auth, make_user, make_thread, make_reply):
    thread = make_thread(author=make_user("alice"))
    make_reply(thread)
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id,
                                                   Post.number == 1))
    auth.signin("alice")
    response = client.post(url(thread, f"/posts/{opening.id}/delete"))
    assert response.status_code == 403  # the policy refuses, with its reason
    assert "Others have replied" in response.get_data(as_text=True)


def test_pin_lock_and_move(client, auth, make_thread, make_staff, make_category, make_user):
    thread = make_thread(title="Pin me please")
    other = make_thread(thread.company, title="A newer thread")
    make_staff(thread.company, "team", "theo")
    auth.signin("theo")
    client.post(url(thread, "/pin"))
    category = thread.category
    listing = client.get(f"/c/{thread.company.slug}/forum/{category.slug}").get_data(
        as_text=True)
    assert listing.index("Pin me please") < listing.index(other.title)

    client.post(url(thread, "/lock"))
    page = client.get(url(thread, f"-{thread.slug}")).get_data(as_text=True)
    assert "This thread is locked" in page
    auth.signout()
    make_user("alice")
    auth.signin("alice")
    response = client.post(url(thread, "/reply"), data={"body": "Can I still reply?"})
    assert response.status_code == 403
    assert "locked" in response.get_data(as_text=True)
    auth.signout()

    auth.signin("theo")
    news = make_category(thread.company, "news")
    assert client.post(url(thread, "/move"), data={"category": news.id}).status_code == 302
    reload(thread, news, category)
    assert thread.category_id == news.id
    assert (news.thread_count, category.thread_count) == (1, 1)


def test_moving_to_another_companys_category_is_refused(client, auth, make_thread,
                                                        make_staff, make_company,
                                                        make_category):
    thread = make_thread()
    foreign = make_category(make_company("other"), "theirs")
    make_staff(thread.company, "owner", "boss")
    auth.signin("boss")
    assert client.post(url(thread, "/move"), data={"category": foreign.id}).status_code == 400
    reload(thread)
    assert thread.category_id != foreign.id


def test_customers_cannot_pin_or_lock(client, auth, make_user, make_thread):
    thread = make_thread()
    make_user("alice")
    auth.signin("alice")
    assert client.post(url(thread, "/pin")).status_code == 403
    assert client.post(url(thread, "/lock")).status_code == 403
    assert client.get(url(thread, "/lock")).status_code == 405
