"""Prioritisation by who is asking: segments (by hand, by domain, by an imported value),
each vote's importance, impact and effort, and the score the inbox sorts by."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from forum.accounts import services as accounts
from forum.errors import Conflict, Invalid, NotAllowed, NotFound
from forum.extensions import db
from ideas import merging, priority, segments
from ideas.models import Customer, Idea, Importance, Segment
from ideas.votes import cast_vote, retract_vote
from tests.conftest import PASSWORD
from tests.helpers import assert_queries_stay_flat, reload


def person(username: str, domain: str = "example.com"):
    return accounts.register(username, f"{username}@{domain}", PASSWORD, email_confirmed=True)


def score(idea: Idea) -> float:
    reload(idea)
    return round(idea.priority_score, 6)


@pytest.fixture
def idea(acme, make_idea, make_user):
    """An idea with its proposer's vote: the proposer is in no segment."""
    return make_idea(acme, author=make_user("proposer"), title="Single sign-on")


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


def test_domains_place_voters_but_never_over_a_hand_choice(acme, team, idea):
    early = person("early", "bigcorp.com")
    cast_vote(early, idea)  # before the segment exists
    chosen = person("chosen", "bigcorp.com")
    cast_vote(chosen, idea)
    trial = segments.save_segment(team, acme, name="Trial", weight=0.5)
    assert segments.assign(team, acme, "chosen", trial.id) == "chosen is now in “Trial”."
    enterprise = segments.save_segment(team, acme, name="Enterprise", weight=3,
                                       domains="@BigCorp.com, other.org")
    assert enterprise.domains == ["bigcorp.com", "other.org"]

    def segment_of(user):
        return db.session.scalar(select(Customer.segment_id).where(
            Customer.company_id == acme.id, Customer.user_id == user.id))

    assert segment_of(early) == enterprise.id  # the saved rule placed the earlier voter
    assert segment_of(chosen) == trial.id
    late = person("late", "other.org")
    cast_vote(late, idea)
    assert segment_of(late) == enterprise.id
    unconfirmed = accounts.register("unconfirmed", "u@bigcorp.com", PASSWORD,
                                    email_confirmed=False)
    cast_vote(unconfirmed, idea)  # an address nobody confirmed places no one
    assert segment_of(unconfirmed) is None
    assert score(idea) == 1 + 3 + 0.5 + 3 + 1
    assert segments.delete_segment(team, acme, enterprise.id) == "Enterprise"
    assert segment_of(early) is None and segment_of(chosen) == trial.id
    assert score(idea) == 1 + 1 + 0.5 + 1 + 1


def test_a_csv_import_places_customers_by_segment_and_value(acme, team, idea, make_user):
    enterprise = segments.save_segment(team, acme, name="Enterprise", weight=4,
                                       min_value=100_000)
    growth = segments.save_segment(team, acme, name="Growth", weight=2, min_value=10_000)
    trial = segments.save_segment(team, acme, name="Trial", weight=0.5)
    for name in ("ann", "bob", "cyd"):
        cast_vote(make_user(name), idea)
    make_user("stranger")  # has an account, never took part at Acme
    data = (b"customer,segment,value\n"
            b"ann,,250000\n"
            b"BOB@example.com,,\"12,000\"\n"
            b"cyd,trial,500000\n"
            b"stranger@example.com,Trial,\n"
            b"nobody-here,,5\n")
    done = segments.import_customers(team, acme, data)
    assert done.placed == 3 and [line for line, _ in done.not_found] == [5, 6]
    assert done.summary() == ("3 customers updated. 2 rows named no one who voted or "
                              "wrote here (line 5, 6).")
    rows = {row.user.username: (row.segment_id, row.value, row.assigned_by)
            for row in db.session.scalars(select(Customer).where(
                Customer.company_id == acme.id))}
    assert rows == {"ann": (enterprise.id, 250_000, "value"),
                    "bob": (growth.id, 12_000, "value"), "cyd": (trial.id, 500_000, "hand")}
    assert score(idea) == 1 + 4 + 2 + 0.5


@pytest.mark.parametrize(("data", "message"), [
    (b"", "Choose a CSV file to import."),
    (b"name,segment\nann,Trial\n", "The first line must name the columns"),
    (b"customer,segment\nann,Platinum\n", "Line 2: there is no segment called “Platinum”."),
    (b"customer,value\nann,lots\n", "Line 2: “lots” is not a number."),
    (b"customer,value\nann,nan\n", "Line 2: “nan” is not a number."),
    (b"customer,segment\n,Trial\n", "Line 2: the customer column is empty."),
    (b"customer,segment,value\nann,,\n", "Line 2: give a segment, a value or both."),
    (b"\xff\xfe\x00c", "The file is not UTF-8 text"),
    (b"customer,segment\n", "The file has no rows below its header."),
])
def test_a_malformed_import_says_which_line(acme, team, idea, make_user, data, message):
    segments.save_segment(team, acme, name="Trial", weight=0.5)
    cast_vote(make_user("ann"), idea)
    with pytest.raises(Invalid, match=re.escape(message)):
        segments.import_customers(team, acme, data)


def test_one_bad_row_saves_none_of_the_good_ones(acme, team, idea, make_user):
    segments.save_segment(team, acme, name="Trial", weight=0.5)
    cast_vote(make_user("ann"), idea)
    with pytest.raises(Invalid, match="Line 3"):
        segments.import_customers(team, acme, b"customer,segment\nann,Trial\nann,Gold\n")
    assert db.session.scalar(select(Customer)) is None
    assert score(idea) == 2


def test_segment_rules_refuse_nonsense(acme, team):
    segments.save_segment(team, acme, name="Enterprise", weight=3)
    with pytest.raises(Conflict, match="already a segment called"):
        segments.save_segment(team, acme, name="enterprise ", weight=1)
    with pytest.raises(Invalid, match="weight must be a number from 0 to 1,000"):
        segments.save_segment(team, acme, name="Heavy", weight=5000)
    with pytest.raises(Invalid, match="“not” is not an email domain"):
        segments.save_segment(team, acme, name="Odd", weight=1, domains="not,a,domain")
    with pytest.raises(Invalid, match="at most 40 characters"):
        segments.save_segment(team, acme, name="x" * 41, weight=1)
    assert [row.segment.name for row in segments.segments(acme)] == ["Enterprise"]


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


def test_assigning_someone_who_never_took_part_says_so_without_naming_them(acme, team,
                                                                             make_user):
    make_user("outsider")
    trial = segments.save_segment(team, acme, name="Trial", weight=0.5)
    with pytest.raises(NotFound, match="No one who voted or wrote in Acme's space"):
        segments.assign(team, acme, "outsider@example.com", trial.id)
    with pytest.raises(NotFound, match="No one who voted or wrote in Acme's space"):
        segments.assign(team, acme, "nobody@nowhere.example", trial.id)


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
