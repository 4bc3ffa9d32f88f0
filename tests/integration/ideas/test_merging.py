"""Merging duplicates: what moves, and what is refused."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from forum.errors import Invalid
from forum.events.models import Event
from forum.extensions import db
from forum.notifications.models import THREAD, Subscription
from forum.notifications.services import FOLLOWING, set_following
from ideas import services, votes
from ideas.models import IdeaTag, StatusChange, Vote


def idea_url(idea, suffix=""):
    return f"/c/{idea.company.slug}/ideas/{idea.thread_id}{suffix}"


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def words(page: str) -> str:
    """The page as a reader sees it: no tags, one space between words."""
    return " ".join(re.sub(r"<[^>]+>", "", page).split())


def page_of(client, idea) -> str:
    return text_of(client.get(idea_url(idea, f"-{idea.thread.slug}")))


def voters_of(idea) -> set[int]:
    return set(db.session.scalars(select(Vote.user_id).where(Vote.idea_id == idea.id)))


def state_of(*ideas) -> dict[int, dict[str, object]]:
    """Everything an unmerge must give back, idea by idea, as committed."""
    db.session.rollback()
    state = {}
    for idea in ideas:
        db.session.refresh(idea)
        weights = list(db.session.scalars(select(Vote.weight).where(Vote.idea_id == idea.id)))
        # The stored counters are the votes' own: a count and a sum that add up.
        assert idea.vote_count == len(weights)
        assert idea.trend_score == pytest.approx(sum(weights), rel=1e-12)
        state[idea.id] = {
            "voters": voters_of(idea), "status": idea.status,
            "status_changed_at": idea.status_changed_at, "merged_into_id": idea.merged_into_id,
            "tags": set(db.session.scalars(select(IdeaTag.tag_id).where(
                IdeaTag.idea_id == idea.id))),
            "followers": {tuple(row) for row in db.session.execute(
                select(Subscription.user_id, Subscription.muted).where(
                    Subscription.target_type == THREAD,
                    Subscription.target_id == idea.thread_id))},
        }
    return state


def rows_saved() -> dict[str, int]:
    """How many rows each table a merge or unmerge writes to holds."""
    db.session.rollback()
    return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Event, StatusChange, Vote, IdeaTag, Subscription)}


@pytest.fixture
def pair(make_company, make_idea, make_user, make_staff, notify):
    """An idea and its duplicate at Acme, each with voters, followers and tags, a voter of
    both, and a team member (theo): the state before any merge is committed."""
    company = make_company("acme")
    team = make_staff(company, "team", "theo")
    export, pdf = (services.create_tag(team, company, name) for name in ("Export", "PDF"))
    original = make_idea(company, title="Export to PDF please", tag_ids=[export.id])
    duplicate = make_idea(company, title="PDF export would be great",
                          tag_ids=[export.id, pdf.id])
    both = make_user("both")
    votes.cast_vote(both, original)
    votes.cast_vote(both, duplicate)
    votes.cast_vote(make_user("orig"), original)
    votes.cast_vote(make_user("dup"), duplicate)
    set_following(make_user("follower"), duplicate.thread, FOLLOWING)
    services.change_status(team, original, "planned", "On the list.")
    services.change_status(team, duplicate, "under_review")
    notify()  # the proposers and voters follow what they proposed and voted for
    return original, duplicate, team


def test_a_merge_gives_the_other_idea_the_tags_it_lacks(pair):
    original, duplicate, team = pair
    tags = {idea.id: {tag.id for tag in idea.tags} for idea in (original, duplicate)}
    services.merge_ideas(team, duplicate, original)
    (moved,) = tags[duplicate.id] - tags[original.id]
    merge = db.session.scalar(select(Event).where(Event.type == "idea.merged"))
    assert merge.data["tags_moved"] == [moved]
    state = state_of(original, duplicate)
    assert state[original.id]["tags"] == tags[original.id] | tags[duplicate.id]
    assert state[duplicate.id]["tags"] == tags[duplicate.id]  # it keeps its own


def test_a_merged_idea_lists_no_votes_of_its_own_anywhere(client, pair, make_user):
    original, duplicate, team = pair
    services.merge_ideas(team, duplicate, original)
    title = duplicate.thread.title
    for path in ("/c/acme/ideas", "/c/acme/ideas?status=duplicate", "/c/acme/ideas?sort=top",
                 "/c/acme/roadmap", "/ideas"):
        assert title not in text_of(client.get(path)), path
    page = page_of(client, duplicate)
    assert "Its votes count for Export to PDF please now." in words(page)
    assert 'class="vote-count"' not in page[:page.index('id="main"')]  # no count of its own
    assert "/u/dup" not in page  # its voters are listed on the other idea
    assert "/u/dup" in page_of(client, original)
    profile = text_of(client.get("/u/dup"))
    supported = profile[profile.index("Ideas supported"):]
    assert "Export to PDF please" in supported and title not in supported


REFUSALS = {
    # case: (what is posted where, status, message)
    "merge_into_itself": ("merge", 400, "An idea cannot be merged into itself."),
    "merge_into_a_merged_idea": ("merge", 409, "That idea is itself merged into another one"),
    "merge_back_into_the_idea_merged_into_it": ("merge", 409,
                                                "That idea is merged into this one"),
    "merge_an_idea_already_merged": ("merge", 409, "This idea is already merged"),
    "merge_into_another_companys_idea": ("merge", 404, "There is no such idea at this company"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_bad_merges_are_refused_and_save_nothing(
        client, auth, pair, make_idea, make_company, case):
    original, duplicate, team = pair
    third = make_idea(original.company, title="Print my notes")
    subject, into = {
        "merge_into_itself": (duplicate, duplicate),
        "merge_into_a_merged_idea": (third, duplicate),
        "merge_back_into_the_idea_merged_into_it": (original, duplicate),
        "merge_an_idea_already_merged": (duplicate, third),
        "merge_into_another_companys_idea": (duplicate, make_idea(make_company("rival"))),
    }[case]
    if case != "merge_into_itself":
        services.merge_ideas(team, duplicate, original)
    action, status, message = REFUSALS[case]
    before, ideas_before = rows_saved(), state_of(original, duplicate, third)
    auth.signin("theo")
    response = client.post(idea_url(subject, f"/{action}"), data={"into": str(into.thread_id)})
    assert response.status_code == status
    assert message in text_of(response)
    assert rows_saved() == before
    assert state_of(original, duplicate, third) == ideas_before


def test_the_merge_service_refuses_another_companys_idea(pair, make_idea, make_company):
    _original, duplicate, team = pair
    elsewhere = make_idea(make_company("rival"))
    before = rows_saved()
    with pytest.raises(Invalid, match="Merge into an idea of the same company"):
        services.merge_ideas(team, duplicate, elsewhere)
    assert rows_saved() == before


