"""Every service that changes what people can see records one event; admins read them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from forum.accounts import services as accounts
from forum.companies import services as companies
from forum.database import utcnow
from forum.errors import NotAllowed
from forum.events import queries
from forum.events.models import Event
from forum.extensions import db
from forum.threads import categories, posting, state
from forum.threads.models import Post
from ideas import services as ideas
from ideas import votes


def events_since(before: int) -> list[tuple[str, str, int | None]]:
    db.session.rollback()
    return [tuple(row) for row in db.session.execute(
        select(Event.type, Event.subject_type, Event.actor_id).where(Event.id > before)
        .order_by(Event.id))]


def newest() -> int:
    return db.session.scalar(select(Event.id).order_by(Event.id.desc()).limit(1)) or 0


def test_every_service_records_what_it_did(admin, make_user, make_company, make_category):
    """One walk through the platform: each change leaves exactly its events, in order."""
    owner, customer = make_user("owner"), make_user("customer")
    before = newest()
    company = companies.create_company(admin, name="Acme", slug="acme", owner=owner)
    companies.update_company(owner, company, name="Acme Inc", tagline="", description="",
                             website="")
    team = make_user("teammate")
    after_team = newest()
    companies.set_staff_role(owner, company, "teammate", "team")
    category = categories.save_category(owner, company, name="General", slug="general")
    thread = posting.start_thread(customer, company, title="Where is the manual?",
                                  body="I can't find it.", kind="question", category=category)
    reply = posting.post_reply(team, thread, "Here it is.", official=True)
    posting.edit_post(team, reply, "Here it is, page 3.")
    state.accept_answer(team, thread, reply)
    state.set_pinned(team, thread, True)
    state.set_locked(team, thread, True)
    idea = ideas.propose_idea(customer, company, title="A bigger water tank",
                              body="Two litres, please.")
    votes.cast_vote(owner, idea)
    votes.retract_vote(owner, idea)
    ideas.change_status(team, idea, "planned", "Coming in spring.")
    tag = ideas.create_tag(team, company, "Hardware")
    ideas.set_idea_tags(team, idea, [tag.id])
    posting.delete_post(customer, posting.post_reply(customer, idea.thread, "Oops."))
    accounts.suspend(admin, customer, utcnow() + timedelta(days=1), "spam")
    accounts.lift_suspension(admin, customer)
    companies.remove_staff(owner, company, next(
        m.id for m in companies.list_staff(company) if m.user_id == team.id))
    recorded = [kind for kind, _subject, _actor in events_since(before)]
    assert recorded[:2] == ["company.created", "company.updated"]
    assert [kind for kind, *_ in events_since(after_team)] == [
        "staff.role_set", "category.saved", "thread.started", "post.created",
        "post.edited", "thread.answer_accepted", "thread.pinned", "thread.locked",
        "thread.started", "idea.proposed", "vote.cast", "vote.cast", "vote.retracted",
        "post.created", "idea.status_changed", "tag.created", "idea.tagged",
        "post.created", "post.hidden", "user.suspended", "user.unsuspended",
        "staff.removed"]


def test_a_vote_that_changes_nothing_records_nothing(make_idea, make_user):
    idea, voter = make_idea(), make_user()
    votes.cast_vote(voter, idea)
    before = newest()
    votes.cast_vote(voter, idea)  # already voted
    votes.retract_vote(make_user(), idea)  # never voted
    assert [kind for kind, *_ in events_since(before)] == ["user.registered"]


def test_a_refused_change_records_nothing(make_thread, make_user):
    thread = make_thread()
    stranger = make_user()
    before = newest()
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id))
    with pytest.raises(NotAllowed, match="edit"):
        posting.edit_post(stranger, opening, "Not mine to edit")
    assert events_since(before) == []


def test_site_admins_read_the_audit_log_with_filters(client, auth, admin, make_company,
                                                     make_user):
    acme, other = make_company("acme"), make_company("other")
    bob = make_user("bob")
    companies.set_staff_role(admin, acme, "bob", "team")
    companies.set_staff_role(admin, other, "bob", "moderator")
    auth.signin("root")
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Gave a staff role" in page and "Opened a company" in page
    filtered = client.get("/admin/audit?company=acme&type=staff.role_set")
    text = filtered.get_data(as_text=True)
    assert filtered.status_code == 200
    assert text.count("staff.role_set</span>") == 1
    assert "None → team" not in text and "— → team" in text
    by_actor = client.get("/admin/audit?actor=bob").get_data(as_text=True)
    assert "user.registered</span>" in by_actor  # bob joined
    assert "staff.role_set</span>" not in by_actor  # the admin gave him his roles
    assert bob.id


@pytest.mark.parametrize("who, status", [(None, 302), ("customer", 403)])
def test_only_site_admins_see_the_audit_log(client, auth, make_user, who, status):
    if who:
        make_user(who)
        auth.signin(who)
    assert client.get("/admin/audit").status_code == status


def test_the_audit_log_pages_by_id_and_costs_the_same_at_any_size(
        client, auth, admin, make_user, count_queries):
    auth.signin("root")
    for number in range(queries.PER_PAGE + 5):
        make_user(f"joiner{number}")
    first = client.get("/admin/audit?type=user.registered").get_data(as_text=True)
    assert "joiner54" in first and "joiner4<" not in first and "Older events" in first
    oldest_shown = db.session.scalars(
        select(Event.id).where(Event.type == "user.registered").order_by(Event.id.desc())
        .limit(queries.PER_PAGE)).all()[-1]
    second = client.get(f"/admin/audit?type=user.registered&before={oldest_shown}")
    assert "joiner4<" in second.get_data(as_text=True)

    def statements() -> int:
        with count_queries() as recorded:
            assert client.get("/admin/audit").status_code == 200
        return len(recorded)

    few = statements()
    for number in range(30):
        make_user(f"more{number}")
    assert statements() == few


@pytest.mark.parametrize("before", ["99999999999999999999999", "²", "-1", "abc"])
def test_a_bad_page_marker_is_ignored(client, auth, admin, before):
    auth.signin("root")
    assert client.get(f"/admin/audit?before={before}").status_code == 200
