"""The bell, /notifications, and the follow control, as people use them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.accounts.models import User
from forum.extensions import db
from forum.moderation import hiding
from forum.notifications import services
from forum.notifications.models import Notification, Subscription
from forum.threads import posting
from forum.threads.models import Post
from ideas import services as ideas
from ideas import votes


@pytest.fixture
def busy_thread(make_thread, make_user, notify):
    """alice follows a thread that then gets three replies."""
    thread = make_thread(title="Quieter pump")
    alice = make_user("alice")
    posting.post_reply(alice, thread, "Mine is loud too.")
    for number in range(3):
        posting.post_reply(make_user(f"other{number}"), thread, f"Same here ({number}).")
    notify()
    return thread


def test_the_bell_counts_unread_and_the_list_groups_many_on_one_thing(client, auth,
                                                                      busy_thread):
    auth.signin("alice")
    home = client.get("/").get_data(as_text=True)
    assert 'aria-label="Notifications: 3 unread"' in home and 'class="bell-count">3<' in home
    page = client.get("/notifications").get_data(as_text=True)
    assert "3 new replies on “Quieter pump”" in page
    bell = client.get("/notifications/bell", headers={"HX-Request": "true"})
    assert "<html" not in bell.get_data(as_text=True) and "3 unread" in bell.get_data(
        as_text=True)


def test_opening_one_marks_it_read_and_goes_to_the_exact_post(client, auth, busy_thread):
    auth.signin("alice")
    alice_id = db.session.scalar(select(User.id).where(User.username == "alice"))
    newest = db.session.scalar(select(Notification.id).where(
        Notification.user_id == alice_id).order_by(Notification.id.desc()))
    opened = client.get(f"/notifications/{newest}")
    assert opened.status_code == 302
    assert opened.headers["Location"].endswith(f"/t/{busy_thread.id}-{busy_thread.slug}#post-5")
    assert "Notifications: 2 unread" in client.get("/").get_data(as_text=True)
    client.post("/notifications/read")
    assert "Notifications: 0 unread" in client.get("/").get_data(as_text=True)


def test_nobody_opens_or_reads_someone_elses_notifications(client, auth, make_user,
                                                           busy_thread):
    make_user("mallory")
    auth.signin("mallory")
    theirs = db.session.scalar(select(Notification.id))
    opened = client.get(f"/notifications/{theirs}", follow_redirects=True)
    assert "That is no longer there to see." in opened.get_data(as_text=True)
    assert db.session.scalar(select(Notification.read_at).where(
        Notification.id == theirs)) is None


def test_what_was_hidden_since_is_not_listed(client, auth, admin, busy_thread):
    opening = db.session.scalar(select(Post).where(
        Post.thread_id == busy_thread.id, Post.number == 1))
    hiding.hide_post(admin, opening, "spam")  # the whole thread goes
    auth.signin("alice")
    page = client.get("/notifications").get_data(as_text=True)
    assert "Quieter pump" not in page


def state(user, target) -> str:
    db.session.rollback()  # see what the requests committed
    return services.following(user, target)


def test_following_muting_and_unfollowing_a_thread(client, auth, make_thread, make_user):
    thread = make_thread()
    bob = make_user("bob")
    auth.signin("bob")
    url = f"/c/{thread.company.slug}/t/{thread.id}/follow"
    page = client.get(f"/c/{thread.company.slug}/t/{thread.id}-{thread.slug}")
    assert 'value="following"' in page.get_data(as_text=True)
    answer = client.post(url, data={"state": "following"}, headers={"HX-Request": "true"})
    assert "You follow this." in answer.get_data(as_text=True)
    assert state(bob, thread) == services.FOLLOWING
    client.post(url, data={"state": "muted"})
    assert state(bob, thread) == services.MUTED
    done = client.post(url, data={"state": "not following"}, follow_redirects=True)
    assert "You no longer follow this." in done.get_data(as_text=True)
    assert state(bob, thread) == services.NOT_FOLLOWING
    assert client.post(url, data={"state": "sideways"}).status_code == 400


def test_following_a_company_from_its_page(client, auth, make_company, make_user):
    company = make_company("acme")
    carol = make_user("carol")
    auth.signin("carol")
    assert "Follow</button>" in client.get("/c/acme").get_data(as_text=True)
    client.post("/c/acme/follow", data={"state": "following"})
    assert state(carol, company) == services.FOLLOWING


def test_visitors_are_asked_to_sign_in(client, make_thread):
    thread = make_thread()
    assert client.get("/notifications").status_code == 302
    page = client.get(f"/c/{thread.company.slug}/t/{thread.id}-{thread.slug}")
    assert "Follow</button>" not in page.get_data(as_text=True)
    assert client.post(f"/c/{thread.company.slug}/t/{thread.id}/follow",
                       data={"state": "following"}).status_code == 302


def test_nobody_follows_a_hidden_thread(client, auth, admin, make_thread, make_user):
    thread = make_thread()
    opening = db.session.scalar(select(Post).where(
        Post.thread_id == thread.id, Post.number == 1))
    hiding.hide_post(admin, opening, "spam")
    make_user("dave")
    auth.signin("dave")
    answer = client.post(f"/c/{thread.company.slug}/t/{thread.id}/follow",
                         data={"state": "following"})
    assert answer.status_code == 404
    db.session.rollback()
    assert db.session.scalar(select(Subscription.id)) is None


def test_the_home_shows_news_my_ideas_and_the_companies_i_follow(client, auth, make_idea,
                                                                  make_user, make_staff,
                                                                  make_company, notify):
    erin = make_user("erin")
    mine = make_idea(author=erin, title="Descale reminder on the Breeze")
    backed = make_idea(title="A bigger water tank for everyone")
    votes.cast_vote(erin, backed)
    ideas.change_status(make_staff(backed.company, "team"), backed, "planned", "Spring.")
    followed = make_company("lumen", name="Lumen Notes")
    services.set_following(erin, followed, services.FOLLOWING)
    notify()
    signed_in = auth.signin("erin")
    assert signed_in.headers["Location"] == "/home"
    page = client.get("/home").get_data(as_text=True)
    assert "“A bigger water tank for everyone” is now planned" in page
    assert "Descale reminder on the Breeze" in page and mine.thread.title in page
    assert 'class="status status-planned"' in page or "Planned" in page
    assert "Lumen Notes" in page


def test_the_home_is_for_signed_in_people(client):
    assert client.get("/home").status_code == 302


def test_the_author_of_a_removed_thread_is_told_why_in_the_list(client, auth, admin,
                                                               make_thread, make_user,
                                                               notify):
    author = make_user("frank")
    thread = make_thread(author=author, title="Rude words about the grinder")
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id,
                                                   Post.number == 1))
    hiding.hide_post(admin, opening, "abuse", "Abusive language")
    notify()
    auth.signin("frank")
    page = client.get("/notifications").get_data(as_text=True)
    assert ("removed your post in “Rude words about the grinder” (abuse or harassment): "
            "Abusive language") in page
