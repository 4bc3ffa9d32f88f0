"""A company's own statuses: renamed, reordered, added and removed within their
categories, while voting, the board, the roadmap, the changelog and merging keep
working whatever the names."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from forum.events.models import Event
from forum.extensions import db
from forum.notifications.models import Notification
from ideas import changelog, merging, statuses
from ideas import services as ideas
from ideas.models import Idea, IdeaStatus
from ideas.votes import cast_vote

MANAGE = "/c/acme/manage/statuses"


def reread(idea: Idea) -> Idea:
    db.session.rollback()
    found = db.session.get(Idea, idea.id)
    assert found is not None
    return found


def page_of(client, idea: Idea) -> str:
    response = client.get(f"/c/acme/ideas/{idea.thread_id}-{idea.thread.slug}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def keys(company) -> list[str]:
    db.session.rollback()
    return [row.key for row in statuses.company_statuses(company.id)]


def test_a_company_starts_with_the_built_in_statuses_without_rows(client, auth, team, acme):
    auth.signin("tess")
    page = client.get(MANAGE).get_data(as_text=True)
    for label in ("Open", "Under review", "Planned", "In progress", "Shipped", "Declined",
                  "Duplicate"):
        assert f">{label}</span>" in page
    assert "Merges use it" in page
    assert db.session.scalars(select(IdeaStatus)).all() == []
    assert keys(acme) == ["open", "under_review", "planned", "in_progress", "shipped",
                          "declined", "duplicate"]


def test_a_rename_shows_everywhere_the_status_does(client, auth, team, acme, make_idea,
                                                   make_user, notify, run_indexer):
    idea = make_idea(acme, title="Dark mode for the app")
    fan = make_user("fan")
    cast_vote(fan, idea)
    ideas.change_status(team, idea, "planned", "Soon.")
    auth.signin("tess")
    response = client.post(f"{MANAGE}/planned/rename", data={"label": "On the list"})
    assert response.status_code == 302
    assert "Renamed to “On the list”." in client.get(MANAGE).get_data(as_text=True)
    assert reread(idea).status == "planned"  # the key stays: nothing else changed
    shown = {
        "idea": page_of(client, idea),
        "board": client.get("/c/acme/ideas").get_data(as_text=True),
        "filtered": client.get("/c/acme/ideas?status=planned").get_data(as_text=True),
        "roadmap": client.get("/c/acme/roadmap").get_data(as_text=True),
        "inbox": client.get("/c/acme/manage/ideas").get_data(as_text=True),
        "profile": client.get(f"/u/{idea.thread.author.username}").get_data(as_text=True),
    }
    for where, page in shown.items():
        assert ">On the list</span>" in page or ">On the list</option>" in page, where
        assert ">Planned<" not in page, where
    assert 'changed the status to <span class="status status-planned">On the list' in \
        shown["idea"]
    assert "Dark mode for the app" in shown["filtered"]
    rows = list(csv.DictReader(io.StringIO(
        client.get("/c/acme/manage/ideas/export.csv").get_data(as_text=True))))
    assert rows[0]["status"] == "On the list"
    run_indexer()
    found = client.get("/c/acme/search?q=dark").get_data(as_text=True)
    assert ">On the list</span>" in found
    # A change after the rename is told with the new name.
    ideas.change_status(team, reread(idea), "in_progress")
    ideas.change_status(team, reread(idea), "planned")
    notify()
    auth.signout()
    auth.signin("fan")
    page = client.get("/notifications").get_data(as_text=True)
    assert "changed status 3 times, now on the list" in page


def test_an_active_status_of_its_own_is_a_roadmap_column_and_closes_nothing(
        client, auth, team, acme, make_idea, make_user):
    added = statuses.add_status(team, acme, "Next up", "active")
    assert (added.key, added.category) == ("next_up", "active")
    idea = make_idea(acme, title="Offline mode")
    ideas.change_status(team, idea, "next_up", "Queued.")
    roadmap = client.get("/c/acme/roadmap").get_data(as_text=True)
    assert roadmap.index(">Planned</span>") < roadmap.index(">In progress</span>") < \
        roadmap.index(">Next up</span>") < roadmap.index(">Shipped</span>")
    assert "Offline mode" in roadmap
    assert "Offline mode" in client.get("/c/acme/ideas").get_data(as_text=True)  # in play
    make_user("voter")
    auth.signin("voter")
    assert client.post(f"/c/acme/ideas/{idea.thread_id}/vote").status_code == 302
    assert reread(idea).vote_count == 2


def test_a_complete_status_of_its_own_closes_voting(client, auth, team, acme, make_idea,
                                                    make_user):
    statuses.add_status(team, acme, "In beta", "complete")
    idea = make_idea(acme, title="Sync across devices")
    ideas.change_status(team, idea, "in_beta")
    assert reread(idea).status_category == "complete"
    make_user("voter")
    auth.signin("voter")
    assert "Voting is closed: this idea is in beta." in page_of(client, idea)
    response = client.post(f"/c/acme/ideas/{idea.thread_id}/vote")
    assert response.status_code == 403
    assert reread(idea).vote_count == 1
    assert "Sync across devices" not in client.get("/c/acme/ideas").get_data(as_text=True)
    assert "Sync across devices" in client.get("/c/acme/roadmap").get_data(as_text=True)


def test_removing_a_status_moves_its_ideas_within_its_category(client, auth, team, acme,
                                                                make_idea):
    idea = make_idea(acme, title="Bigger tank")
    ideas.change_status(team, idea, "planned", "Soon.")
    auth.signin("tess")
    confirm = client.get(f"{MANAGE}/planned/remove").get_data(as_text=True)
    assert "1 idea has this status" in confirm
    assert '<option value="in_progress">In progress</option>' in confirm
    assert 'value="open"' not in confirm  # another category: its ideas would change meaning
    response = client.post(f"{MANAGE}/planned/remove", data={"into": "in_progress"})
    assert response.status_code == 302
    listed = client.get(MANAGE).get_data(as_text=True)
    assert "Status “Planned” removed. Its 1 idea moved to “In progress”." in listed
    moved = reread(idea)
    assert (moved.status, moved.status_category) == ("in_progress", "active")
    assert "planned" not in keys(acme)
    retired = db.session.scalar(select(IdeaStatus).where(IdeaStatus.key == "planned"))
    assert retired is not None and retired.retired_at is not None
    event = db.session.scalar(select(Event).where(Event.type == "status.removed"))
    assert event.data["into"] == "in_progress" and event.data["thread_ids"] == [idea.thread_id]
    page = page_of(client, idea)
    assert ">Planned</span> by Acme" in page  # its history keeps the name it had
    assert '<option value="planned"' not in page  # no longer offered
    assert client.post(f"/c/acme/ideas/{idea.thread_id}/status",
                       data={"status": "planned"}).status_code == 400


@pytest.mark.parametrize(("url", "form", "status", "message"), [
    (MANAGE, {"label": "planned", "category": "active"}, 422,
     "There is already a status called “planned”."),
    (MANAGE, {"label": "Soon", "category": "someday"}, 422, "Not a valid choice"),
    (MANAGE, {"label": "   ", "category": "open"}, 422, "This field is required."),
    (MANAGE, {"label": "x" * 41, "category": "open"}, 422, "40 characters"),
    (f"{MANAGE}/planned/rename", {"label": "Shipped"}, 422,
     "There is already a status called “Shipped”."),
    (f"{MANAGE}/duplicate/remove", {}, 422,
     "Merging marks ideas “Duplicate”: this status cannot be removed, only renamed."),
    (f"{MANAGE}/shipped/remove", {}, 422, "add another complete status before removing"),
    (f"{MANAGE}/open/remove", {}, 422, "Choose the open status its ideas move to."),
    (f"{MANAGE}/open/remove", {"into": "declined"}, 422,
     "Choose the open status its ideas move to."),
    (f"{MANAGE}/planned/move", {"direction": "up"}, 400,
     "“Planned” is already the first active status."),
    (f"{MANAGE}/planned/move", {"direction": "sideways"}, 400, "Move a status up or down."),
    (f"{MANAGE}/teleported/rename", {"label": "Gone"}, 404, "There is no such status"),
])
def test_what_cannot_be_done_is_refused_with_a_reason_and_changes_nothing(
        client, auth, team, acme, make_idea, url, form, status, message):
    make_idea(acme)  # an open idea
    auth.signin("tess")
    response = client.post(url, data=form)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert db.session.scalars(select(IdeaStatus)).all() == [] or keys(acme) == [
        "open", "under_review", "planned", "in_progress", "shipped", "declined", "duplicate"]
    assert not db.session.scalars(select(Event).where(Event.type.like("status.%"))).all()


def test_the_open_category_keeps_one_status(team, acme):
    statuses.remove_status(team, acme, "under_review")
    with pytest.raises(Exception, match="New ideas start in the first open status"):
        statuses.remove_status(team, acme, "open")


@pytest.mark.parametrize("role", ["moderator", None])
def test_only_the_product_team_manages_statuses(client, auth, acme, make_staff, make_user,
                                                role):
    if role:
        make_staff(acme, role, "someone")
    else:
        make_user("someone")
    auth.signin("someone")
    assert client.get(MANAGE).status_code == 403
    assert client.post(MANAGE, data={"label": "Mine", "category": "open"}).status_code == 403
    assert client.post(f"{MANAGE}/planned/move", data={"direction": "down"}).status_code == 403
    assert db.session.scalars(select(IdeaStatus)).all() == []


def test_reordering_moves_within_a_category_and_new_ideas_start_in_the_first_open(
        client, auth, team, acme, make_idea):
    statuses.add_status(team, acme, "Needs votes", "open")
    auth.signin("tess")
    for _ in range(2):
        assert client.post(f"{MANAGE}/needs_votes/move",
                           data={"direction": "up"}).status_code == 302
    assert keys(acme)[:3] == ["needs_votes", "open", "under_review"]
    assert client.post(f"{MANAGE}/shipped/move", data={"direction": "down"}).status_code == 400
    idea = make_idea(acme)
    assert (idea.status, idea.status_category) == ("needs_votes", "open")
    assert ">Needs votes</span>" in page_of(client, idea)


def test_the_changelog_ships_with_the_first_complete_status_after_renames(
        team, acme, make_idea, make_user, notify):
    statuses.rename_status(team, acme, "shipped", "Released")
    statuses.add_status(team, acme, "In beta", "complete")
    idea, done = make_idea(acme, title="Dark mode"), make_idea(acme, title="Export")
    ideas.change_status(team, done, "in_beta")
    fan = make_user("fan")
    cast_vote(fan, idea)
    changelog.publish(team, acme, title="March", body="Out now.",
                      idea_thread_ids=[idea.thread_id, done.thread_id])
    assert reread(idea).status == "shipped"
    assert reread(done).status == "in_beta"  # complete already: left as it is
    notify()
    texts = db.session.scalars(select(Event.data).join(
        Notification, Notification.event_id == Event.id).where(
        Notification.user_id == fan.id, Event.type == "idea.status_changed")).all()
    assert texts[-1]["labels"] == ["Open", "Released"]
    statuses.move_status(team, acme, "in_beta", "up")
    later = make_idea(acme, title="Widgets")
    changelog.publish(team, acme, title="April", body="More.",
                      idea_thread_ids=[later.thread_id])
    assert reread(later).status == "in_beta"


def test_merging_and_unmerging_keep_working_after_the_list_changes(team, acme, make_idea):
    statuses.rename_status(team, acme, "duplicate", "Merged")
    idea, into = make_idea(acme), make_idea(acme)
    ideas.change_status(team, idea, "planned")
    merging.merge_ideas(team, idea, into)
    assert (reread(idea).status, reread(idea).status_label) == ("duplicate", "Merged")
    statuses.remove_status(team, acme, "planned", "in_progress")
    assert reread(idea).status == "duplicate"  # merged ideas keep their status
    done = merging.unmerge_idea(team, reread(idea))
    assert done.status.key == "in_progress"  # where the removed status's ideas went
    assert (reread(idea).status, reread(idea).status_category) == ("in_progress", "active")


def test_moving_by_htmx_swaps_the_list_and_keeps_the_focus(client, auth, team, acme):
    auth.signin("tess")
    response = client.post(f"{MANAGE}/in_progress/move", data={"direction": "up"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert fragment.startswith('<section class="main-column card" id="status-list"')
    assert '<p class="visually-hidden" role="status">“In progress” moved up.</p>' in fragment
    assert 'aria-label="Move In progress up" disabled' in fragment  # first of its category
    assert 'aria-label="Move In progress down" autofocus' in fragment
    assert fragment.count("autofocus") == 1
    assert keys(acme)[2:4] == ["in_progress", "planned"]


def test_searching_a_company_filters_by_its_own_statuses(client, team, acme, make_idea,
                                                         run_indexer):
    statuses.add_status(team, acme, "Next up", "active")
    statuses.rename_status(team, acme, "planned", "On the list")
    queued = make_idea(acme, title="Offline sync")
    make_idea(acme, title="Offline maps")
    ideas.change_status(team, queued, "next_up")
    run_indexer()
    page = client.get("/c/acme/search?q=offline&status=next_up")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert '<option value="next_up" selected>Next up</option>' in text
    assert ">On the list</option>" in text and ">Planned</option>" not in text
    assert "1 result for" in text and "sync" in text and "maps" not in text
    everywhere = client.get("/search?q=offline&status=next_up")  # built-in statuses only
    assert everywhere.status_code == 422
    assert "Choose a status from the list." in everywhere.get_data(as_text=True)
