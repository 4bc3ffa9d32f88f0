"""Prioritisation by who is asking: each vote's importance, impact and effort, the
weights, and the score the inbox sorts by (the segments: test_segments.py)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from forum.errors import NotAllowed
from forum.extensions import db
from ideas import merging, priority, segments
from ideas.models import Customer, Importance, Segment
from ideas.votes import cast_vote, retract_vote
from tests.helpers import assert_queries_stay_flat, reload
from tests.integration.ideas.conftest import person, score


def test_the_score_weighs_segments_importance_impact_and_effort(acme, team, idea):
    assert score(idea) == 1  # the proposer's vote, unsegmented and saying nothing
    enterprise = segments.save_segment(team, acme, name="Enterprise", weight=5,
                                       domains="bigcorp.com")
    big = person("big", "bigcorp.com")
    cast_vote(big, idea)
    assert score(idea) == 1 + 5
    priority.set_importance(big, idea, Importance.CRITICAL)
    assert score(idea) == 1 + 5 * 4
    priority.set_weights(team, acme, unsegmented=0.5, not_said=1, nice_to_have=1,
                         important=2, critical=3)
    assert score(idea) == 0.5 + 5 * 3
    priority.set_estimates(team, idea, impact=5, effort=2)
    assert score(idea) == pytest.approx((0.5 + 15) * 5 / 2)
    priority.set_estimates(team, idea, impact=None, effort=None)
    retract_vote(big, idea)
    assert score(idea) == 0.5
    assert db.session.get(Customer, (acme.id, big.id)).segment_id == enterprise.id


def test_only_the_product_team_sets_priorities(acme, idea, make_staff, make_user,
                                                make_company):
    moderator = make_staff(acme, "moderator")
    with pytest.raises(NotAllowed, match="Only the company's product team sets its priorities"):
        segments.save_segment(moderator, acme, name="Enterprise", weight=3)
    with pytest.raises(NotAllowed):
        priority.set_estimates(make_user(), idea, 5, 1)
    elsewhere = make_staff(make_company("globex"), "team")
    with pytest.raises(NotAllowed):
        priority.set_estimates(elsewhere, idea, 5, 1)
    with pytest.raises(NotAllowed):
        segments.import_customers(elsewhere, acme, b"customer,value\nx,1\n")
    reload(idea)
    assert (idea.impact, idea.effort) == (None, None)


def test_a_voter_says_how_important_an_idea_is(client, auth, acme, idea, make_user):
    make_user("vic")
    auth.signin("vic")
    url = f"/c/acme/ideas/{idea.thread_id}/importance"
    refused = client.post(url, data={"importance": "3"}, headers={"HX-Request": "true"})
    assert refused.status_code == 409
    assert "Vote for the idea first" in refused.get_data(as_text=True)
    client.post(f"/c/acme/ideas/{idea.thread_id}/vote", data={"action": "cast"})
    page = client.get(f"/c/acme/ideas/{idea.thread_id}-{idea.thread.slug}").get_data(
        as_text=True)
    assert "How important is this to you?" in page
    saved = client.post(url, data={"importance": "3"}, headers={"HX-Request": "true"})
    assert saved.status_code == 200
    assert "Saved: Acme sees it with your vote." in saved.get_data(as_text=True)
    assert score(idea) == 1 + 4
    assert client.post(url, data={"importance": "7"}).status_code == 400
    assert client.post(url, data={"importance": ""}).status_code == 302  # no longer says
    assert score(idea) == 2


def test_the_priority_page_shows_the_formula_and_keeps_what_was_typed(client, auth, acme, team):
    auth.signin("tess")
    page = client.get("/c/acme/manage/priority").get_data(as_text=True)
    assert "How the priority score is computed" in page
    assert "<em>segment weight</em> \N{MULTIPLICATION SIGN} <em>importance weight</em>" in page
    bad = client.post("/c/acme/manage/priority/segments",
                      data={"name": "Enterprise", "weight": "heavy", "domains": "big.com"})
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert "Weight: “heavy” is not a number." in text and 'value="big.com"' in text
    db.session.rollback()
    assert db.session.scalar(select(Segment)) is None
    made = client.post("/c/acme/manage/priority/segments",
                       data={"name": "Enterprise", "weight": "3", "domains": "big.com"})
    assert made.status_code == 302
    weights = client.post("/c/acme/manage/priority/weights", data={
        "unsegmented": "1", "not_said": "1", "nice_to_have": "1", "important": "-2",
        "critical": "4"})
    assert weights.status_code == 400
    assert "Important must be a number from 0 to 1,000." in weights.get_data(as_text=True)
    db.session.rollback()
    segment = db.session.scalar(select(Segment))
    listing = client.get(f"/c/acme/manage/priority/segments/{segment.id}/customers")
    assert listing.status_code == 200 and "Segment “Enterprise”" in listing.get_data(as_text=True)
    assert client.get("/c/acme/manage/priority/segments/999/customers").status_code == 404


def test_a_moderator_and_a_customer_cannot_open_the_priority_page(client, auth, acme, make_staff,
                                                                  make_user):
    make_staff(acme, "moderator", "mod")
    auth.signin("mod")
    assert client.get("/c/acme/manage/priority").status_code == 403
    auth.signout()
    make_user("cus")
    auth.signin("cus")
    assert client.post("/c/acme/manage/priority/segments",
                       data={"name": "Mine", "weight": "9"}).status_code == 403


def test_the_inbox_sorts_by_priority_and_filters_by_segment(client, auth, acme, team, make_idea,
                                                          make_user, count_queries):
    small = make_idea(acme, title="Small request")
    wanted = make_idea(acme, title="Wanted by big customers")
    enterprise = segments.save_segment(team, acme, name="Enterprise", weight=10,
                                       domains="bigcorp.com")
    cast_vote(person("whale", "bigcorp.com"), wanted)
    for _ in range(3):
        cast_vote(make_user(), small)
    auth.signin("tess")
    page = client.get("/c/acme/manage/ideas?view=priority").get_data(as_text=True)
    order = re.findall(r'<p class="inbox-title">.*?<a href="[^"]+">([^<]+)</a>', page)
    assert order == ["Wanted by big customers", "Small request"]
    assert "Priority 11" in page and "Priority 4" in page
    filtered = client.get(f"/c/acme/manage/ideas?segment={enterprise.id}").get_data(as_text=True)
    assert "Wanted by big customers" in filtered and "Small request" not in filtered
    assert client.get("/c/acme/manage/ideas?segment=x").status_code == 400

    def grow(count: int) -> None:
        for n in range(count):
            extra = make_idea(acme, title=f"Extra {count}-{n}")
            cast_vote(person(f"w{count}x{n}", "bigcorp.com"), extra)

    assert_queries_stay_flat(client, count_queries, "/c/acme/manage/ideas?view=priority", grow)


def test_the_exports_carry_priority_and_segments(client, auth, acme, team, idea):
    enterprise = segments.save_segment(team, acme, name="Enterprise", weight=3,
                                       domains="bigcorp.com")
    whale = person("whale", "bigcorp.com")
    cast_vote(whale, idea)
    priority.set_importance(whale, idea, Importance.IMPORTANT)
    priority.set_estimates(team, idea, impact=4, effort=2)
    auth.signin("tess")
    ideas_csv = client.get("/c/acme/manage/ideas/export.csv?view=priority").get_data(as_text=True)
    row = next(csv.DictReader(io.StringIO(ideas_csv)))
    assert (row["title"], row["priority"], row["segments"], row["impact"], row["effort"]) == (
        "Single sign-on", "14.0", "Enterprise: 1", "4", "2")
    voters = client.get(f"/c/acme/manage/ideas/{idea.thread_id}/voters.csv").get_data(
        as_text=True)
    rows = {row["username"]: row for row in csv.DictReader(io.StringIO(voters))}
    assert (rows["whale"]["segment"], rows["whale"]["importance"]) == ("Enterprise", "Important")
    assert (rows["proposer"]["segment"], rows["proposer"]["importance"]) == ("", "")
    assert enterprise.id


def test_the_idea_page_shows_the_team_who_is_asking(client, auth, acme, team, idea):
    segments.save_segment(team, acme, name="Enterprise", weight=3, domains="bigcorp.com")
    cast_vote(person("whale", "bigcorp.com"), idea)
    auth.signin("tess")
    page = client.get(f"/c/acme/ideas/{idea.thread_id}-{idea.thread.slug}").get_data(
        as_text=True)
    assert "Priority score 4" in page
    assert "Enterprise 1 · No segment 1" in page
    saved = client.post(f"/c/acme/ideas/{idea.thread_id}/estimates",
                        data={"impact": "5", "effort": "1"})
    assert saved.status_code == 302
    reload(idea)
    assert idea.priority_score == pytest.approx(4 * 5 / 1)
    assert client.post(f"/c/acme/ideas/{idea.thread_id}/estimates",
                       data={"impact": "9"}).status_code == 400


def test_a_merge_carries_importance_and_an_unmerge_gives_the_scores_back(acme, team, idea,
                                                                          make_idea, make_user):
    duplicate = make_idea(acme, title="SSO please")
    critical = make_user("crit")
    cast_vote(critical, duplicate)
    priority.set_importance(critical, duplicate, Importance.CRITICAL)
    before = (score(idea), score(duplicate))
    assert before == (1, 1 + 4)
    merging.merge_ideas(team, duplicate, idea)
    assert score(idea) == 1 + 1 + 4  # both voters of the duplicate, importance kept
    merging.unmerge_idea(team, duplicate)
    assert (score(idea), score(duplicate)) == before
