"""The product team's inbox: what is new first, views and filters, bulk actions that are
all or nothing, and nobody else's ideas touched."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from forum.events.models import Event
from forum.extensions import db
from ideas import export, triage
from ideas import services as ideas
from ideas.models import Idea
from ideas.votes import cast_vote
from tests.helpers import assert_queries_stay_flat


@pytest.fixture
def three(acme, make_idea):
    return [make_idea(acme, title=f"Idea number {n}") for n in range(1, 4)]


def titles(page: str) -> list[str]:
    return re.findall(r'<p class="inbox-title">.*?<a href="[^"]+">([^<]+)</a>', page)


def inbox(client, query: str = "") -> str:
    response = client.get(f"/c/acme/manage/ideas{query}")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def test_new_and_untriaged_come_first(client, auth, team, three, make_idea, acme):
    ideas.change_status(team, three[0], "planned", "Soon.")  # triaged by it
    auth.signin("tess")
    shown = titles(inbox(client))
    assert shown == ["Idea number 3", "Idea number 2", "Idea number 1"]
    page = inbox(client)
    assert page.count('class="inbox-row untriaged"') == 2
    assert "2 untriaged" in page


def test_views_and_filters(client, auth, team, three, acme, make_user):
    cast_vote(make_user(), three[1])
    tag = ideas.create_tag(team, acme, "Mobile")
    ideas.set_idea_tags(team, three[2], [tag.id])
    auth.signin("tess")
    assert titles(inbox(client, "?view=votes"))[0] == "Idea number 2"
    assert titles(inbox(client, f"?tag={tag.id}")) == ["Idea number 3"]
    assert titles(inbox(client, "?q=NUMBER+1")) == ["Idea number 1"]
    assert titles(inbox(client, "?status=planned")) == []
    assert titles(inbox(client, "?view=unanswered")) == [
        "Idea number 1", "Idea number 2", "Idea number 3"]  # oldest first


@pytest.mark.parametrize("query", ["?view=nonsense", "?status=lost", "?owner=someone",
                                   "?tag=abc", "?page=0"])
def test_a_view_that_makes_no_sense_is_a_400(client, auth, team, query):
    auth.signin("tess")
    response = client.get(f"/c/acme/manage/ideas{query}")
    assert response.status_code == 400


def test_htmx_gets_just_the_list(client, auth, team, three):
    auth.signin("tess")
    response = client.get("/c/acme/manage/ideas?view=newest", headers={"HX-Request": "true"})
    page = response.get_data(as_text=True)
    assert page.lstrip().startswith('<div id="inbox-list"') and "<html" not in page


@pytest.mark.parametrize("who", ["customer", "moderator", "team_elsewhere"])
def test_only_the_product_team_sees_the_inbox(client, auth, acme, make_user, make_staff,
                                              make_company, who):
    if who == "moderator":
        make_staff(acme, "moderator", "mod")
        login = "mod"
    elif who == "team_elsewhere":
        make_staff(make_company("other"), "team", "stranger")
        login = "stranger"
    else:
        make_user("cust")
        login = "cust"
    auth.signin(login)
    assert client.get("/c/acme/manage/ideas").status_code == 403
    response = client.post("/c/acme/manage/ideas/bulk", data={"action": "seen", "ideas": "1"})
    assert response.status_code == 403
    assert "product team" in response.get_data(as_text=True)


def bulk(client, **form):
    return client.post("/c/acme/manage/ideas/bulk", data=form)


def test_a_bulk_status_change_gives_each_idea_the_note(client, auth, team, three):
    auth.signin("tess")
    response = bulk(client, action="status", status="planned", note="In the spring release.",
                    ideas=[str(idea.thread_id) for idea in three])
    assert response.status_code == 302
    db.session.rollback()
    assert {db.session.get(Idea, idea.id).status for idea in three} == {"planned"}
    changes = db.session.scalars(select(Event).where(Event.type == "idea.status_changed"))
    assert len(list(changes)) == 3
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "3 ideas now planned." in page


def test_a_bulk_action_is_all_or_nothing(client, auth, team, three, make_company, make_idea):
    foreign = make_idea(make_company("other"))
    auth.signin("tess")
    response = bulk(client, action="status", status="planned", note="",
                    ideas=[str(three[0].thread_id), str(foreign.thread_id)])
    assert response.status_code == 404
    assert "nothing was changed" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(Idea, three[0].id).status == "open"
    assert db.session.get(Idea, foreign.id).status == "open"


@pytest.mark.parametrize(("form", "status", "message"), [
    ({"action": "status", "status": "planned"}, 400, "Select at least one idea."),
    ({"action": "explode", "ideas": "{id}"}, 400, "Choose what to do"),
    ({"action": "status", "status": "lost", "ideas": "{id}"}, 400, "Choose one of the statuses"),
    ({"action": "add_tag", "tag": "999", "ideas": "{id}"}, 400, "Choose one of the company"),
    ({"action": "assign", "owner": "999", "ideas": "{id}"}, 400, "member of the team"),
    ({"action": "merge", "into": "{id}", "ideas": "{id}"}, 400, "Select the ideas to merge"),
    ({"action": "merge", "into": "999999", "ideas": "{id}"}, 400, "Choose which"),
    ({"action": "status", "status": "planned", "ideas": "abc"}, 400, "does not exist"),
])
def test_bad_bulk_input_is_a_clear_4xx_and_saves_nothing(client, auth, team, three, form,
                                                         status, message):
    auth.signin("tess")
    data = {key: value.replace("{id}", str(three[0].thread_id)) for key, value in form.items()}
    response = bulk(client, **data)
    assert response.status_code == status
    assert message in response.get_data(as_text=True).replace("&#39;", "'")
    db.session.rollback()
    assert db.session.get(Idea, three[0].id).triaged_at is None


def test_tag_assign_seen_and_merge_in_bulk(client, auth, team, three, acme):
    tag = ideas.create_tag(team, acme, "Mobile")
    auth.signin("tess")
    ids = [str(idea.thread_id) for idea in three]
    assert bulk(client, action="add_tag", tag=str(tag.id), ideas=ids[:2]).status_code == 302
    assert bulk(client, action="assign", owner=str(team.id), ideas=ids).status_code == 302
    assert bulk(client, action="seen", ideas=ids).status_code == 302
    db.session.rollback()
    found = [db.session.get(Idea, idea.id) for idea in three]
    assert [[t.name for t in idea.tags] for idea in found] == [["Mobile"], ["Mobile"], []]
    assert {idea.owner_id for idea in found} == {team.id}
    assert all(idea.triaged_at is not None for idea in found)
    response = bulk(client, action="merge", into=ids[0], note="Same thing.", ideas=ids)
    assert response.status_code == 302
    db.session.rollback()
    assert [db.session.get(Idea, idea.id).merged_into_id for idea in three] == \
        [None, three[0].id, three[0].id]
    assert "2 ideas merged into “Idea number 1”." in client.get(
        response.headers["Location"]).get_data(as_text=True)


def test_the_manage_page_counts_what_waits(client, auth, team, three):
    auth.signin("tess")
    page = client.get("/c/acme/manage").get_data(as_text=True)
    assert "3 untriaged" in page and "0 open for more than a week" in page


def test_the_inbox_costs_the_same_whatever_its_length(client, auth, team, acme, make_idea,
                                                      count_queries):
    make_idea(acme)
    auth.signin("tess")
    assert_queries_stay_flat(client, count_queries, "/c/acme/manage/ideas",
                             lambda count: [make_idea(acme) for _ in range(count)])


def test_the_new_view_pages_through_untriaged_then_the_rest(client, auth, team, acme,
                                                           make_idea):
    made = [make_idea(acme, title=f"Idea {n:02}") for n in range(1, 53)]
    triage.apply(team, acme, triage.Bulk("seen", [made[0].thread_id, made[-1].thread_id]))
    auth.signin("tess")
    pages = [titles(inbox(client, f"?page={number}")) for number in (1, 2, 3)]
    untriaged = [f"Idea {n:02}" for n in range(51, 1, -1)]  # newest first
    assert pages == [untriaged, ["Idea 52", "Idea 01"], []]
    assert 'rel="next"' not in inbox(client, "?page=2")


def test_counts_stop_at_the_cap(monkeypatch, client, auth, team, three):
    monkeypatch.setattr(triage, "COUNT_CAP", 2)
    auth.signin("tess")
    assert "2+ untriaged" in inbox(client)


def test_trending_leads_with_what_is_still_in_play(client, team, three, make_user):
    for _ in range(3):
        cast_vote(make_user(), three[0])
    ideas.change_status(team, three[0], "shipped", "Out now.")
    ideas.change_status(team, three[1], "declined", "Not for us.")
    for path in ("/c/acme/ideas", "/ideas"):
        page = client.get(path).get_data(as_text=True)
        assert "Idea number 3" in page
        assert "Idea number 1" not in page and "Idea number 2" not in page
    assert "Idea number 1" in client.get("/c/acme/ideas?status=shipped").get_data(as_text=True)
    assert "Idea number 1" in client.get("/c/acme/ideas?sort=top").get_data(as_text=True)


def read_csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_the_view_exports_as_csv_every_page_of_it(client, auth, team, acme, make_idea,
                                                   make_user, monkeypatch):
    monkeypatch.setattr(export, "CHUNK", 2)  # several chunks, as a big company has
    tag = ideas.create_tag(team, acme, "Mobile")
    made = [make_idea(acme, title=f"Export me {n}") for n in range(5)]
    make_idea(acme, title='=HYPERLINK("http://evil.example")')
    ideas.set_idea_tags(team, made[0], [tag.id])
    cast_vote(make_user("fan"), made[0])
    auth.signin("tess")
    rows = read_csv(client.get("/c/acme/manage/ideas/export.csv?view=votes"))
    assert len(rows) == 6
    first = rows[0]
    assert (first["title"], first["votes"], first["tags"]) == ("Export me 0", "2", "Mobile")
    assert first["link"] == f"http://localhost/c/acme/ideas/{made[0].thread_id}-export-me-0"
    assert "'=HYPERLINK(\"http://evil.example\")" in [row["title"] for row in rows]  # text
    assert len(read_csv(client.get(f"/c/acme/manage/ideas/export.csv?tag={tag.id}"))) == 1
    voters = read_csv(client.get(f"/c/acme/manage/ideas/{made[0].thread_id}/voters.csv"))
    assert [row["username"] for row in voters] == [made[0].thread.author.username, "fan"]
    assert "@" not in "".join(voters[1].values())  # no addresses


def test_only_the_team_exports(client, auth, acme, make_user, three):
    make_user("cust")
    auth.signin("cust")
    assert client.get("/c/acme/manage/ideas/export.csv").status_code == 403
    assert client.get(f"/c/acme/manage/ideas/{three[0].thread_id}/voters.csv"
                      ).status_code == 403
