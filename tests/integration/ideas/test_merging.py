"""Merging duplicates and undoing it: what moves, what comes back, and what is refused."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from forum.errors import Conflict, Invalid
from forum.events.models import Event
from forum.extensions import db
from forum.notifications.models import THREAD, Subscription
from forum.notifications.services import FOLLOWING, MUTED, NOT_FOLLOWING, following, set_following
from forum.threads import posting
from ideas import merging, services, votes
from ideas.models import IdeaTag, StatusChange, Vote
from tests.helpers import reload


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
    merging.merge_ideas(team, duplicate, original)
    (moved,) = tags[duplicate.id] - tags[original.id]
    merge = db.session.scalar(select(Event).where(Event.type == "idea.merged"))
    assert merge.data["tags_moved"] == [moved]
    state = state_of(original, duplicate)
    assert state[original.id]["tags"] == tags[original.id] | tags[duplicate.id]
    assert state[duplicate.id]["tags"] == tags[duplicate.id]  # it keeps its own


def test_unmerge_gives_both_ideas_back_exactly_what_they_had(client, auth, pair, notify):
    original, duplicate, _team = pair
    before = state_of(original, duplicate)
    auth.signin("theo")
    merged = client.post(idea_url(duplicate, "/merge"), data={"into": str(original.thread_id)})
    assert merged.status_code == 302
    notify()
    during = state_of(original, duplicate)
    assert during[original.id]["voters"] == (before[original.id]["voters"]
                                             | before[duplicate.id]["voters"])
    assert during[original.id]["tags"] == before[duplicate.id]["tags"]
    assert during[duplicate.id]["voters"] == before[duplicate.id]["voters"]  # kept, frozen
    assert during[duplicate.id]["status"] == "duplicate"

    response = client.post(idea_url(duplicate, "/unmerge"),
                           data={"note": "Different after all: this one is about printing."})
    assert response.status_code == 302
    assert response.headers["Location"].startswith(idea_url(duplicate, "-"))
    said = words(page_of(client, duplicate))
    assert ("Unmerged from “Export to PDF please”: this idea is under review again and "
            "2 voters came back to it. “Export to PDF please” no longer has the 3 followers "
            "and 1 tag the merge gave it.") in said
    assert "Different after all: this one is about printing." in said  # the public note
    notify()
    assert state_of(original, duplicate) == before


def test_a_voter_of_both_ideas_stays_counted_on_both(make_idea, make_user, make_staff):
    original = make_idea()
    duplicate = make_idea(original.company)
    both = make_user("both")
    votes.cast_vote(both, original)
    votes.cast_vote(both, duplicate)
    team = make_staff(original.company, "team")
    merging.merge_ideas(team, duplicate, original)
    reload(original)
    assert original.vote_count == 3  # its proposer, the duplicate's, and both once
    merging.unmerge_idea(team, duplicate)
    reload(original, duplicate)
    assert both.id in voters_of(original) and both.id in voters_of(duplicate)
    assert (original.vote_count, duplicate.vote_count) == (2, 2)


def test_a_moved_voter_goes_back_unless_they_took_the_moved_vote_back(
        make_idea, make_user, make_staff):
    original = make_idea()
    duplicate = make_idea(original.company)
    untouched, withdrew, voted_again, latecomer = (
        make_user(name) for name in ("untouched", "withdrew", "voted_again", "latecomer"))
    for voter in (untouched, withdrew, voted_again):
        votes.cast_vote(voter, duplicate)
    team = make_staff(original.company, "team")
    merging.merge_ideas(team, duplicate, original)
    votes.retract_vote(withdrew, original)
    votes.retract_vote(voted_again, original)
    votes.cast_vote(voted_again, original)  # their own vote, cast after the merge
    votes.cast_vote(latecomer, original)

    done = merging.unmerge_idea(team, duplicate)

    proposers = {idea.id: idea.thread.author_id for idea in (original, duplicate)}
    assert done.voters_returned == sorted([proposers[duplicate.id], untouched.id])
    assert done.voters_withdrawn == sorted([withdrew.id, voted_again.id])
    assert voters_of(duplicate) == {proposers[duplicate.id], untouched.id}
    assert voters_of(original) == {proposers[original.id], voted_again.id, latecomer.id}
    state_of(original, duplicate)  # whose counters add up to their votes


def test_a_follow_the_merge_added_goes_unless_its_person_changed_it(make_idea, make_user,
                                                                     make_staff):
    original = make_idea()
    duplicate = make_idea(original.company)
    names = ("untouched", "muted", "followed_again", "replied", "unfollowed", "already")
    people = {name: make_user(name) for name in names}
    for person in people.values():
        set_following(person, duplicate.thread, FOLLOWING)
    set_following(people["already"], original.thread, FOLLOWING)
    team = make_staff(original.company, "team")
    merging.merge_ideas(team, duplicate, original)
    set_following(people["muted"], original.thread, MUTED)
    set_following(people["followed_again"], original.thread, NOT_FOLLOWING)
    set_following(people["followed_again"], original.thread, FOLLOWING)
    posting.post_reply(people["replied"], original.thread, "Same here, and more.")
    set_following(people["unfollowed"], original.thread, NOT_FOLLOWING)

    done = merging.unmerge_idea(team, duplicate)

    assert done.followers_removed == [people["untouched"].id]
    assert {name: following(person, original.thread) for name, person in people.items()} == {
        "untouched": NOT_FOLLOWING, "muted": MUTED, "followed_again": FOLLOWING,
        "replied": FOLLOWING, "unfollowed": NOT_FOLLOWING, "already": FOLLOWING}
    assert {following(person, duplicate.thread) for person in people.values()} == {FOLLOWING}


def test_merge_and_unmerge_are_events_in_both_ideas_public_history(client, auth, pair, admin):
    original, duplicate, team = pair
    merging.merge_ideas(team, duplicate, original, "Same request.")
    merge = db.session.scalar(select(Event).where(Event.type == "idea.merged"))
    pdf = db.session.scalar(select(IdeaTag.tag_id).where(IdeaTag.idea_id == duplicate.id)
                            .order_by(IdeaTag.tag_id.desc()))
    assert merge.data["tags_moved"] == [pdf] and merge.data["votes_moved"] == 2
    merged_page, original_page = words(page_of(client, duplicate)), words(page_of(client, original))
    assert "Merged into Export to PDF please" in merged_page
    assert ("PDF export would be great merged into this idea by Acme (theo), bringing 2 votes"
            in original_page)

    merging.unmerge_idea(team, duplicate, "Not the same after all.")
    unmerge = db.session.scalar(select(Event).where(Event.type == "idea.unmerged"))
    assert (unmerge.actor_id, unmerge.subject_id, unmerge.thread_id) == (
        team.id, duplicate.id, duplicate.thread_id)
    assert unmerge.data["into"] == original.id and unmerge.data["merge_event_id"] == merge.id
    assert unmerge.data["tags_removed"] == [pdf] and unmerge.data["votes_returned"] == 2
    merged_page, original_page = words(page_of(client, duplicate)), words(page_of(client, original))
    assert "Merged into Export to PDF please by Acme (theo)" in merged_page
    assert "Unmerged from Export to PDF please by Acme (theo)" in merged_page
    assert "No longer merged into" in merged_page  # the official note, with its link
    assert "PDF export would be great merged into this idea" in original_page
    assert ("PDF export would be great unmerged from this idea by Acme (theo), taking 2 votes "
            "back") in original_page
    assert merged_page.index("Merged into") < merged_page.index("Unmerged from")
    auth.signin(admin.username)
    audit = text_of(client.get("/admin/audit?type=idea.unmerged"))
    assert "Unmerged an idea" in audit and audit.count("idea.unmerged</span>") == 1


def test_a_merged_idea_lists_no_votes_of_its_own_anywhere(client, pair, make_user):
    original, duplicate, team = pair
    merging.merge_ideas(team, duplicate, original)
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


def test_search_forgets_a_merged_idea_and_finds_it_again_once_unmerged(client, pair,
                                                                       run_indexer):
    original, duplicate, team = pair

    def found() -> bool:
        run_indexer()
        page = words(text_of(client.get("/search", query_string={"q": "great"})))
        return duplicate.thread.title in page

    assert found()
    merging.merge_ideas(team, duplicate, original)
    assert not found()
    merging.unmerge_idea(team, duplicate)
    assert found()


@pytest.mark.parametrize("who", ["visitor", "customer", "team_elsewhere"])
def test_only_the_companys_staff_unmerge(client, auth, pair, make_user, make_company,
                                         make_staff, who):
    original, duplicate, team = pair
    merging.merge_ideas(team, duplicate, original)
    if who == "customer":
        make_user("mallory")
        auth.signin("mallory")
    elif who == "team_elsewhere":
        make_staff(make_company("rival"), "team", "rivalteam")
        auth.signin("rivalteam")
    before = rows_saved()
    response = client.post(idea_url(duplicate, "/unmerge"), data={"note": "Undo."})
    if who == "visitor":
        assert response.status_code == 302 and "/signin" in response.headers["Location"]
    else:
        assert response.status_code == 403
        assert "Only the company's staff undo a merge." in text_of(response)
    assert rows_saved() == before
    reload(duplicate)
    assert duplicate.merged_into_id == original.id


def test_only_staff_see_the_unmerge_control(client, auth, pair, make_user):
    original, duplicate, team = pair
    merging.merge_ideas(team, duplicate, original)
    assert "/unmerge" not in page_of(client, duplicate)
    auth.signin("theo")
    page = page_of(client, duplicate)
    assert "Undo the merge into “Export to PDF please”" in page and "/unmerge" in page
    assert "Update status" not in page  # a merged idea's status is the merge's
    assert "/unmerge" not in page_of(client, original)


def test_a_chain_of_merges_unmerges_from_the_top(pair, make_idea):
    original, duplicate, team = pair
    third = make_idea(original.company, title="Print my notes")
    before = state_of(original, duplicate, third)
    merging.merge_ideas(team, third, duplicate)
    merging.merge_ideas(team, duplicate, original)
    with pytest.raises(Conflict, match="was itself merged into another idea since"):
        merging.unmerge_idea(team, third)
    merging.unmerge_idea(team, duplicate)
    merging.unmerge_idea(team, third)
    assert state_of(original, duplicate, third) == before


REFUSALS = {
    # case: (what is posted where, status, message)
    "unmerge_never_merged": ("unmerge", 409, "This idea is not merged into another one"),
    "merge_into_itself": ("merge", 400, "An idea cannot be merged into itself."),
    "merge_into_a_merged_idea": ("merge", 409, "That idea is itself merged into another one"),
    "merge_back_into_the_idea_merged_into_it": ("merge", 409,
                                                "That idea is merged into this one"),
    "merge_an_idea_already_merged": ("merge", 409, "This idea is already merged"),
    "merge_into_another_companys_idea": ("merge", 404, "There is no such idea at this company"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_bad_merges_and_unmerges_are_refused_and_save_nothing(
        client, auth, pair, make_idea, make_company, case):
    original, duplicate, team = pair
    third = make_idea(original.company, title="Print my notes")
    subject, into = {
        "unmerge_never_merged": (duplicate, None),
        "merge_into_itself": (duplicate, duplicate),
        "merge_into_a_merged_idea": (third, duplicate),
        "merge_back_into_the_idea_merged_into_it": (original, duplicate),
        "merge_an_idea_already_merged": (duplicate, third),
        "merge_into_another_companys_idea": (duplicate, make_idea(make_company("rival"))),
    }[case]
    if case not in ("unmerge_never_merged", "merge_into_itself"):
        merging.merge_ideas(team, duplicate, original)
    action, status, message = REFUSALS[case]
    before, ideas_before = rows_saved(), state_of(original, duplicate, third)
    auth.signin("theo")
    data = {"into": str(into.thread_id)} if into is not None else {}
    response = client.post(idea_url(subject, f"/{action}"), data=data)
    assert response.status_code == status
    assert message in text_of(response)
    assert rows_saved() == before
    assert state_of(original, duplicate, third) == ideas_before


def test_the_merge_service_refuses_another_companys_idea(pair, make_idea, make_company):
    _original, duplicate, team = pair
    elsewhere = make_idea(make_company("rival"))
    before = rows_saved()
    with pytest.raises(Invalid, match="Merge into an idea of the same company"):
        merging.merge_ideas(team, duplicate, elsewhere)
    assert rows_saved() == before


def test_an_unmerge_note_is_as_long_as_any_note(client, auth, pair):
    original, duplicate, team = pair
    merging.merge_ideas(team, duplicate, original)
    before = rows_saved()
    auth.signin("theo")
    response = client.post(idea_url(duplicate, "/unmerge"),
                           data={"note": "x" * (services.MAX_NOTE + 1)})
    assert response.status_code == 400 and "5000" in text_of(response)
    assert rows_saved() == before
    reload(duplicate)
    assert duplicate.merged_into_id == original.id
