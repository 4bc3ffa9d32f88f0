"""Customer segments: placed by hand, by email domain, by an imported value (a CSV of
customers), and the segment rules that refuse nonsense."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from forum.accounts import services as accounts
from forum.errors import Conflict, Invalid, NotFound
from forum.extensions import db
from ideas import segments
from ideas.models import Customer
from ideas.votes import cast_vote
from tests.conftest import PASSWORD
from tests.integration.ideas.conftest import person, score


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


def test_assigning_someone_who_never_took_part_says_so_without_naming_them(acme, team,
                                                                             make_user):
    make_user("outsider")
    trial = segments.save_segment(team, acme, name="Trial", weight=0.5)
    with pytest.raises(NotFound, match="No one who voted or wrote in Acme's space"):
        segments.assign(team, acme, "outsider@example.com", trial.id)
    with pytest.raises(NotFound, match="No one who voted or wrote in Acme's space"):
        segments.assign(team, acme, "nobody@nowhere.example", trial.id)
