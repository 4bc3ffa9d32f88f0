"""Company bans: decided from the review queue with a length and a reason, they stop the
author posting at that company only (they still read), and a moderator lifts them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from forum import policy
from forum.accounts.models import User
from forum.database import utcnow
from forum.events.models import Event
from forum.extensions import db
from forum.moderation import bans, flags, reviews
from forum.moderation.models import CompanyBan, ModerationAction, Review
from forum.notifications.models import Notification
from forum.threads.models import Post
from tests.helpers import assert_queries_stay_flat, heard
from tests.integration.moderation.conftest import post_path, thread_page, thread_url

QUEUE = "/c/acme/manage/moderation"
BANS = "/c/acme/manage/bans"
HTMX = {"HX-Request": "true"}
BAN = {"duration": "7", "reason": "abuse", "note": "Insults in every reply."}


def ban_form(client, post, headers=None, **form):
    return client.post(f"{QUEUE}/{post.id}/ban", data=form, headers=headers or {})


def fresh() -> None:
    db.session.rollback()
    db.session.expire_all()


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def banned_message(until) -> str:
    return (f"You are banned from posting at Acme until {policy.day(until)}: abuse or "
            "harassment (Insults in every reply).")


@pytest.fixture
def flagged(scene, make_user):
    flags.flag_post(make_user("carol"), scene.reply, "abuse")
    return scene


def test_banning_from_the_queue_closes_the_review_and_stops_posting_here(
        client, auth, flagged, make_company, make_thread, make_idea, notify):
    scene = flagged
    elsewhere = make_thread(make_company("globex"), title="A thread at Globex")
    idea = make_idea(scene.company, title="Dark mode for the whole app")
    auth.signin("mona")
    response = ban_form(client, scene.reply, **BAN)
    assert response.status_code == 302 and response.headers["Location"].endswith(QUEUE)
    fresh()
    ban = db.session.scalar(select(CompanyBan))
    assert (ban.user_id, ban.reason, ban.note) == (scene.author.id, "abuse", BAN["note"])
    assert timedelta(days=6, hours=23) < ban.until - utcnow() <= timedelta(days=7)
    assert db.session.scalar(select(Review)).outcome == "ban"
    assert db.session.scalar(select(ModerationAction.action)) == "ban"
    assert db.session.get(Post, scene.reply.id).hidden_at is None  # the ban hides nothing
    assert "Nothing is waiting" in client.get(QUEUE).get_data(as_text=True)

    notify()
    auth.signout()
    auth.signin("troll")
    told = client.get("/notifications").get_data(as_text=True)
    assert (f"Acme\u2019s moderators banned you from posting there until {ban.until.day} "
            f"{ban.until:%B %Y} (abuse or harassment): Insults in every reply. You can "
            "still read everything.") in told
    notification = db.session.scalar(select(Notification.id).where(
        Notification.user_id == scene.author.id))
    opened = client.get(f"/notifications/{notification}")
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/c/acme")
    refused = {
        "reply": client.post(thread_url(scene.thread, "/reply"), data={"body": "Hello?"}),
        "thread": client.post("/c/acme/forum/new", data={
            "kind": "question", "category": str(scene.thread.category_id),
            "title": "Another question", "body": "Where?"}),
        "flag": client.post(post_path(scene.thread_post, "flag"), data={"reason": "spam"}),
        "edit": client.post(post_path(scene.reply, "edit"), data={"body": "Sorry."}),
        "propose": client.post("/c/acme/ideas/new", data={"title": "Another idea here",
                                                          "body": "Please."}),
        "vote": client.post(f"/c/acme/ideas/{idea.thread_id}/vote", data={"action": "cast"}),
    }
    refused["thread page"] = client.get("/c/acme/forum/new")
    refused["idea page"] = client.get("/c/acme/ideas/new")
    for what, answer in refused.items():
        assert answer.status_code == 403, what
        assert banned_message(ban.until) in answer.get_data(as_text=True), what
    page = client.get(thread_page(scene.thread)).get_data(as_text=True)
    assert "Where is the filter?" in page and banned_message(ban.until) in page
    assert client.post(thread_url(elsewhere, "/reply"),
                       data={"body": "Fine here."}).status_code == 302
    fresh()
    assert count(Post) == 5  # Acme's thread, its reply and the idea; Globex's and the reply


@pytest.fixture(autouse=True)
def _opening_post(scene):
    scene.thread_post = db.session.scalar(select(Post).where(
        Post.thread_id == scene.thread.id, Post.number == 1))


def test_banning_with_htmx_takes_the_item_out_in_place(client, auth, flagged):
    auth.signin("mona")
    response = ban_form(client, flagged.reply, HTMX, **BAN)
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "Its author is banned from posting here" in text
    assert "0 open items left" in text
    fresh()
    assert count(CompanyBan) == 1


@pytest.mark.parametrize(("form", "message"), [
    ({"reason": "abuse"}, "Choose how long the ban lasts: 1 day, 7 days, 30 days, 1 year."),
    ({**BAN, "duration": "2"}, "Choose how long the ban lasts"),
    ({**BAN, "duration": "-7"}, "Choose how long the ban lasts"),
    ({**BAN, "reason": "boredom"}, "Choose a reason."),
    ({**BAN, "reason": "other", "note": ""}, "“other” needs a few words"),
    ({**BAN, "note": "x" * 301}, "Notes are at most 300 characters (301 now)."),
])
@pytest.mark.parametrize("headers", [{}, HTMX])
def test_a_refused_ban_says_why_and_saves_nothing(client, auth, flagged, form, message,
                                                  headers):
    auth.signin("mona")
    response = ban_form(client, flagged.reply, headers, **form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    if headers:
        assert response.headers["HX-Retarget"] == f"#review-{flagged.reply.id}"
    fresh()
    assert count(CompanyBan) == 0 and count(ModerationAction) == 0
    assert db.session.scalar(select(Review)).closed_at is None


def test_banning_someone_already_banned_is_a_conflict(client, auth, flagged, make_user,
                                                      make_reply):
    again = make_reply(flagged.thread, author=flagged.author, body="More insults")
    flags.flag_post(make_user("dave"), again, "abuse")
    auth.signin("mona")
    assert ban_form(client, flagged.reply, **BAN).status_code == 302
    response = ban_form(client, again, **{**BAN, "duration": "30"})
    assert response.status_code == 409
    assert "troll is already banned from posting here until" in response.get_data(as_text=True)
    fresh()
    assert count(CompanyBan) == 1
    assert db.session.scalar(select(Review).where(Review.post_id == again.id)).is_open


@pytest.mark.parametrize(("who", "message"), [
    ("mona", "You cannot ban yourself."),
    ("theo", "staff are not banned. Remove their role first"),
    ("root", "Site admins cannot be banned from a company."),
])
def test_nobody_bans_themselves_the_companys_staff_or_a_site_admin(
        client, auth, scene, make_user, make_staff, make_reply, admin, who, message):
    make_staff(scene.company, "team", "theo")
    author = db.session.scalar(select(User).where(User.username == who))
    post = make_reply(scene.thread, author=author, body=f"A reply by {who}")
    flags.flag_post(make_user("carol"), post, "abuse")
    auth.signin("mona")
    page = client.get(QUEUE).get_data(as_text=True)
    assert f"{QUEUE}/{post.id}/ban" not in page  # the queue does not offer it
    response = ban_form(client, post, **BAN)
    assert response.status_code == 403 and message in response.get_data(as_text=True)
    fresh()
    assert count(CompanyBan) == 0


def test_a_moderator_of_another_company_can_do_nothing_here(
        client, auth, flagged, make_company, make_staff):
    ban = reviews.ban_reviewed(flagged.moderator, db.session.scalar(select(Review)), "7",
                               "abuse", "")
    make_staff(make_company("globex"), "moderator", "gus")
    auth.signin("gus")
    assert client.get(BANS).status_code == 403
    assert client.post(f"{BANS}/{ban.id}/lift", data={"note": "Why not."}).status_code == 403
    assert client.post(f"/c/globex/manage/bans/{ban.id}/lift",
                       data={"note": "Why not."}).status_code == 404
    assert client.post(f"/c/globex/manage/moderation/{flagged.reply.id}/ban",
                       data=BAN).status_code == 404
    fresh()
    assert db.session.get(CompanyBan, ban.id).lifted_at is None


def test_lifting_a_ban_asks_why_tells_the_person_and_lets_them_post(client, auth, flagged,
                                                                    notify):
    ban = reviews.ban_reviewed(flagged.moderator, db.session.scalar(select(Review)), "30",
                               "abuse", "Insults in every reply.")
    auth.signin("mona")
    page = client.get(BANS).get_data(as_text=True)
    assert "troll" in page and "In force" in page and "Insults in every reply." in page
    assert f"{BANS}/{ban.id}/lift" in page and "Yes, lift the ban" in page
    assert client.get(f"{BANS}/{ban.id}/lift").status_code == 200  # the confirmation page
    refused = client.post(f"{BANS}/{ban.id}/lift", data={"note": ""})
    assert refused.status_code == 422 and "Say why" in refused.get_data(as_text=True)
    too_long = client.post(f"{BANS}/{ban.id}/lift", data={"note": "y" * 301})
    assert too_long.status_code == 422
    fresh()
    assert db.session.get(CompanyBan, ban.id).lifted_at is None
    response = client.post(f"{BANS}/{ban.id}/lift", data={"note": "They apologised."})
    assert response.status_code == 302 and response.headers["Location"].endswith(BANS)
    again = client.post(f"{BANS}/{ban.id}/lift", data={"note": "Twice."})
    assert again.status_code == 409
    assert "not in force any more" in again.get_data(as_text=True)
    fresh()
    lifted = db.session.get(CompanyBan, ban.id)
    assert lifted.lifted_by_id == flagged.moderator.id
    assert lifted.lift_note == "They apologised."
    assert "Lifted" in client.get(BANS).get_data(as_text=True)
    notify()
    assert heard(flagged.author) == ["user.banned", "user.ban_lifted"]
    auth.signout()
    auth.signin("troll")
    told = client.get("/notifications").get_data(as_text=True)
    assert "lifted your ban: you may post there again (They apologised.)" in told
    assert client.post(thread_url(flagged.thread, "/reply"),
                       data={"body": "Thank you."}).status_code == 302


def test_lifting_with_htmx_swaps_the_row(client, auth, flagged):
    ban = reviews.ban_reviewed(flagged.moderator, db.session.scalar(select(Review)), "1",
                               "spam", "")
    auth.signin("mona")
    refused = client.post(f"{BANS}/{ban.id}/lift", data={}, headers=HTMX)
    assert refused.status_code == 422 and refused.headers["HX-Retarget"] == f"#ban-{ban.id}"
    response = client.post(f"{BANS}/{ban.id}/lift", data={"note": "Mistake."}, headers=HTMX)
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and f'id="ban-{ban.id}"' in text
    assert "The ban is lifted" in text and "Lifted" in text


def test_the_public_log_shows_the_ban_without_the_note(client, flagged):
    reviews.ban_reviewed(flagged.moderator, db.session.scalar(select(Review)), "7", "abuse",
                         "Private: he wrote my address.")
    page = client.get("/c/acme/moderation-log").get_data(as_text=True)
    assert "Author banned from posting here" in page and "abuse or harassment" in page
    assert "Private" not in page and "mona" not in page


def test_bans_and_lifts_are_in_the_event_log(flagged):
    ban = reviews.ban_reviewed(flagged.moderator, db.session.scalar(select(Review)), "7",
                               "abuse", "")
    bans.lift_ban(flagged.moderator, ban, "Served.")
    events = db.session.execute(select(Event.type, Event.actor_id, Event.company_id)
                                .where(Event.type.like("user.%ban%"))
                                .order_by(Event.id)).all()
    assert [event.type for event in events] == ["user.banned", "user.ban_lifted"]
    assert {(event.actor_id, event.company_id) for event in events} == {
        (flagged.moderator.id, flagged.company.id)}


def test_a_thread_page_checks_a_ban_once_however_many_posts(client, auth, flagged,
                                                            make_reply, make_user,
                                                            count_queries):
    reviews.ban_reviewed(flagged.moderator, db.session.scalar(select(Review)), "7", "abuse",
                         "Insults in every reply.")
    auth.signin("troll")

    def grow(n: int) -> None:
        for _ in range(n):
            make_reply(flagged.thread, author=make_user())

    with count_queries() as recorded:
        client.get(thread_page(flagged.thread))
    # Read once, with the signed-in user (forum.accounts.sessions), not once per post.
    assert sum("company_bans" in statement for statement in recorded) == 1
    assert_queries_stay_flat(client, count_queries, thread_page(flagged.thread), grow)



def test_the_bans_page_runs_the_same_statements_however_many_bans(
        client, auth, scene, make_user, make_reply, count_queries):
    auth.signin("mona")
    flagger = make_user("carol")

    def grow(n: int) -> None:
        for _ in range(n):
            post = make_reply(scene.thread, author=make_user())
            flags.flag_post(flagger, post, "spam")
            ban = reviews.ban_reviewed(scene.moderator, reviews_of(post), "1", "spam", "")
            if ban.id % 2:
                bans.lift_ban(scene.moderator, ban, "Served.")

    assert_queries_stay_flat(client, count_queries, BANS, grow)


def reviews_of(post: Post) -> Review:
    return db.session.scalar(select(Review).where(Review.post_id == post.id))


def test_a_moderator_bans_someone_by_username_from_the_bans_page(client, auth, scene,
                                                                 notify):
    auth.signin("mona")
    page = client.get(BANS).get_data(as_text=True)
    assert "Ban someone by username…" in page
    response = client.post(BANS, data={"username": "@troll", **BAN})
    assert response.status_code == 302 and response.headers["Location"].endswith(BANS)
    fresh()
    ban = db.session.scalar(select(CompanyBan))
    assert ban.user_id == scene.author.id and ban.post_id is None
    assert ban.reason == "abuse" and ban.note == "Insults in every reply."
    listed = client.get(BANS).get_data(as_text=True)
    assert "is banned from posting at Acme until" in listed and "In force" in listed
    notify()
    assert "user.banned" in heard(scene.author)
    assert not count(ModerationAction)  # on no post: not in the public log

    again = client.post(BANS, data={"username": "troll", **BAN})
    assert again.status_code == 409 and "already banned" in again.get_data(as_text=True)


@pytest.mark.parametrize(("form", "status", "message"), [
    ({"username": "ghost", **BAN}, 422, "There is nobody called @ghost here."),
    ({"username": "", **BAN}, 422, "Give the username of the person to ban."),
    ({"username": "tess", **BAN}, 403, "tess is on Acme&#39;s staff: staff are not banned."),
    ({"username": "mona", **BAN}, 403, "You cannot ban yourself."),
    ({"username": "troll", **BAN, "duration": "forever"}, 422, "Choose how long"),
    ({"username": "troll", **BAN, "reason": "bored"}, 422, ""),
])
def test_a_ban_by_username_that_cannot_be_says_why_and_keeps_the_form(
        client, auth, scene, make_staff, form, status, message):
    make_staff(scene.company, "team", "tess")
    auth.signin("mona")
    response = client.post(BANS, data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == status and message in page
    assert "Insults in every reply." in page  # the note stays in the form
    fresh()
    assert count(CompanyBan) == 0


def test_only_the_companys_moderators_ban_by_username(client, auth, scene, make_company,
                                                      make_staff):
    make_staff(make_company("globex"), "moderator", "gus")
    auth.signin("gus")
    assert client.post(BANS, data={"username": "troll", **BAN}).status_code == 403
    fresh()
    assert count(CompanyBan) == 0
