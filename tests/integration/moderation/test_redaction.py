"""Editing personal information out of a post: the new text everywhere (the page, search),
the old one only in a revision the company's moderators and site admins read, and a
public log entry that never repeats it."""

from __future__ import annotations

from sqlalchemy import func, select

from forum.extensions import db
from forum.moderation import flags
from forum.moderation.models import ModerationAction, Review
from forum.threads import posting
from forum.threads.models import Post, Revision
from tests.helpers import heard
from tests.integration.moderation.conftest import post_path, thread_page, thread_url

SECRET = "zanzibarphone 555-0100"
EDITED = "Call the support line, they answered me within a day."


def redact(client, post, htmx: bool = False, **form):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(post_path(post, "redact"), data=form, headers=headers)


def fresh(post: Post) -> Post:
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(Post, post.id)


def actions(kind: str) -> int:
    return db.session.scalar(select(func.count()).select_from(ModerationAction).where(
        ModerationAction.action == kind)) or 0


def revisions_page(client, post) -> str:
    return client.get(thread_url(post.thread, f"/posts/{post.id}/revisions")).get_data(
        as_text=True)


def test_the_text_goes_everywhere_but_the_moderators_history(
        client, auth, make_reply, make_staff, make_user, scene, run_indexer, notify):
    author = scene.author
    reply = make_reply(scene.thread, author=author, body=f"Ring me: {SECRET}")
    posting.edit_post(author, reply, f"Ring me any time: {SECRET}")  # an earlier version
    make_staff(scene.company, "team", "theo")
    make_user("bystander")
    auth.signin("mona")
    form = client.get(post_path(reply, "redact"))
    assert form.status_code == 200 and f"Ring me any time: {SECRET}</textarea>" in \
        form.get_data(as_text=True)
    response = redact(client, reply, body=EDITED, note="A phone number.")
    assert response.status_code == 302
    post = fresh(reply)
    assert post.body_source == EDITED and SECRET not in post.body_html
    assert db.session.scalar(select(func.count()).select_from(Revision).where(
        Revision.post_id == post.id, Revision.moderators_only.is_(False))) == 0
    assert actions("redact") == 1
    assert SECRET in revisions_page(client, post)  # the moderator reads what it was
    run_indexer()
    notify()
    assert heard(author)[-1] == "post.redacted"
    for login in ("troll", "theo", "bystander", None):
        auth.signout()
        if login:
            auth.signin(login)
        page = client.get(thread_page(scene.thread)).get_data(as_text=True)
        assert EDITED in page and SECRET not in page, login
        assert SECRET not in revisions_page(client, post), login
        assert "Nothing matches that search" in client.get(
            "/search?q=zanzibarphone").get_data(as_text=True), login
        log = client.get("/c/acme/moderation-log").get_data(as_text=True)
        assert "Personal information edited out" in log and "personal information" in log
        assert SECRET not in log and "A phone number." not in log
    found = client.get("/search?q=support+line").get_data(as_text=True)
    assert "Where is the filter?" in found
    auth.signin("root")
    assert SECRET in revisions_page(client, post)  # site admins act everywhere


def test_the_queue_decision_closes_the_item_as_redact(client, auth, make_user, scene):
    flags.flag_post(make_user("carol"), scene.reply, "personal_information")
    auth.signin("mona")
    queue = client.get("/c/acme/manage/moderation").get_data(as_text=True)
    assert "Edit out personal information</summary>" in queue
    assert f">{scene.reply.body_source}</textarea>" in queue  # prefilled
    response = client.post(f"/c/acme/manage/moderation/{scene.reply.id}/redact",
                           data={"body": "Buy watches at a shop.", "note": "A link."},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200 and "edited out" in response.get_data(as_text=True)
    assert fresh(scene.reply).body_source == "Buy watches at a shop."
    review = db.session.scalar(select(Review))
    assert review.outcome == "redact" and not review.is_open


def test_bad_redactions_are_refused_and_change_nothing(client, auth, make_user, scene):
    flags.flag_post(make_user("carol"), scene.reply, "personal_information")
    original = scene.reply.body_source
    auth.signin("mona")
    cases = [({"body": "   ", "note": "Phone."}, 422, "the message is empty"),
             ({"body": original, "note": "Phone."}, 422, "Nothing was edited out"),
             ({"body": "Shorter.", "note": ""}, 422, "Say why"),
             ({"body": "Shorter.", "note": "x" * 301}, 422, "at most 300 characters")]
    for form, status, message in cases:
        response = redact(client, scene.reply, **form)
        assert response.status_code == status and message in response.get_data(as_text=True)
        queued = client.post(f"/c/acme/manage/moderation/{scene.reply.id}/redact", data=form)
        assert queued.status_code == status and message in queued.get_data(as_text=True)
    client.post(post_path(scene.reply, "hide"), data={"reason": "spam"})
    hidden = redact(client, scene.reply, body="Shorter.", note="Phone.")
    assert hidden.status_code == 403
    assert "restore it before editing it" in hidden.get_data(as_text=True)
    assert fresh(scene.reply).body_source == original
    assert actions("redact") == 0 and db.session.scalar(
        select(func.count()).select_from(Revision)) == 0


def test_only_this_companys_moderators_redact(client, auth, make_company, make_staff, scene):
    other = make_company("globex")
    make_staff(other, "moderator", "gus")
    make_staff(scene.company, "team", "theo")
    for login in ("gus", "theo", "troll"):
        auth.signin(login)
        assert client.get(post_path(scene.reply, "redact")).status_code == 403, login
        assert redact(client, scene.reply, body="Mine now.", note="x").status_code == 403
        auth.signout()
    assert fresh(scene.reply).revision_count == 0 and actions("redact") == 0
