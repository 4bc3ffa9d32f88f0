"""Escalating a review item to the site admins: always with a note, once, the item stays
open and marked, and every site admin is told."""

from __future__ import annotations

from sqlalchemy import func, select

from forum.events.models import Event
from forum.extensions import db
from forum.moderation import flags
from forum.moderation.models import Review
from tests.helpers import heard

QUEUE = "/c/acme/manage/moderation"


def escalate(client, post, htmx: bool = False, **form):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(f"{QUEUE}/{post.id}/escalate", data=form, headers=headers)


def review() -> Review:
    db.session.rollback()
    db.session.expire_all()
    return db.session.scalar(select(Review))


def escalations() -> int:
    return db.session.scalar(select(func.count()).select_from(Event).where(
        Event.type == "review.escalated")) or 0


def test_escalating_keeps_the_item_open_marks_it_and_tells_the_admins(
        client, auth, admin, make_user, scene, notify):
    flags.flag_post(make_user("carol"), scene.reply, "abuse")
    auth.signin("mona")
    response = escalate(client, scene.reply, note="A legal threat: not ours to judge.")
    assert response.status_code == 302 and response.headers["Location"] == QUEUE
    item = review()
    assert item.is_open and item.escalated_by_id == scene.moderator.id
    assert item.escalation_note == "A legal threat: not ours to judge."
    page = client.get(QUEUE).get_data(as_text=True)
    assert "Escalated</span>" in page and "A legal threat: not ours to judge." in page
    assert "Escalate to site admins</summary>" not in page  # once is enough
    notify()
    assert heard(admin) == ["review.escalated"]
    assert heard(scene.author) == []  # the author hears of a decision, not of this
    auth.signout()
    auth.signin("root")
    told = client.get("/notifications").get_data(as_text=True)
    assert "Acme\u2019s moderators ask the site admins to decide on a flagged post in " \
           "“Where is the filter?”: A legal threat: not ours to judge." in told


def test_htmx_gets_the_item_back_marked(client, auth, make_user, scene):
    flags.flag_post(make_user("carol"), scene.reply, "abuse")
    auth.signin("mona")
    response = escalate(client, scene.reply, htmx=True, note="Ask the admins.")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="review-{scene.reply.id}"' in text and "Escalated</span>" in text


def test_escalating_twice_is_a_conflict_and_changes_nothing(client, auth, make_user, scene):
    flags.flag_post(make_user("carol"), scene.reply, "abuse")
    auth.signin("mona")
    escalate(client, scene.reply, note="First.")
    again = escalate(client, scene.reply, note="Second.")
    assert again.status_code == 409
    assert "already escalated" in again.get_data(as_text=True)
    assert review().escalation_note == "First." and escalations() == 1
    htmx = escalate(client, scene.reply, htmx=True, note="Third.")
    assert htmx.status_code == 409 and htmx.headers["HX-Retarget"] == f"#review-{scene.reply.id}"


def test_an_escalation_needs_a_short_note(client, auth, make_user, scene):
    flags.flag_post(make_user("carol"), scene.reply, "abuse")
    auth.signin("mona")
    empty = escalate(client, scene.reply, note="  ")
    assert empty.status_code == 422
    assert "Say why: the person it concerns reads this." in empty.get_data(as_text=True)
    long = escalate(client, scene.reply, note="x" * 301)
    assert long.status_code == 422 and "at most 300 characters" in long.get_data(as_text=True)
    item = review()
    assert item.escalated_at is None and escalations() == 0


def test_a_decided_item_is_not_escalated(client, auth, make_user, scene):
    flags.flag_post(make_user("carol"), scene.reply, "abuse")
    auth.signin("mona")
    client.post(f"{QUEUE}/{scene.reply.id}/keep", data={"note": "Fine."})
    refused = escalate(client, scene.reply, note="Too late.")
    assert refused.status_code == 403 and review().escalated_at is None


def test_only_this_companys_moderators_escalate(client, auth, make_user, make_company,
                                                make_staff, scene):
    other = make_company("globex")
    make_staff(other, "moderator", "gus")
    make_staff(scene.company, "team", "theo")
    flags.flag_post(make_user("carol"), scene.reply, "abuse")
    for login, path, status in [
            ("gus", f"{QUEUE}/{scene.reply.id}/escalate", 403),
            ("gus", f"/c/globex/manage/moderation/{scene.reply.id}/escalate", 404),
            ("theo", f"{QUEUE}/{scene.reply.id}/escalate", 403),
            ("troll", f"{QUEUE}/{scene.reply.id}/escalate", 403)]:
        auth.signin(login)
        assert client.post(path, data={"note": "Please."}).status_code == status, login
        auth.signout()
    assert review().escalated_at is None and escalations() == 0


def test_new_flags_after_a_decision_reopen_the_item_unescalated(client, auth, make_user,
                                                                 scene):
    flags.flag_post(make_user("carol"), scene.reply, "abuse")
    auth.signin("mona")
    escalate(client, scene.reply, note="Ask the admins.")
    client.post(f"{QUEUE}/{scene.reply.id}/keep", data={"note": "The admins said fine."})
    flags.flag_post(make_user("dave"), scene.reply, "abuse")
    item = review()
    assert item.is_open and item.escalated_at is None and item.escalation_note == ""
    assert "Escalate to site admins</summary>" in client.get(QUEUE).get_data(as_text=True)
