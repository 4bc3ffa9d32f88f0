"""Votes over real HTTP, against gunicorn's worker processes: each counts exactly once.

Forty customers, each with a cookie jar of their own, sign in and then vote at the same
moment (a barrier releases them together) on SQLite or, with TEST_DATABASE_URL, on
PostgreSQL. The counters on the idea must always match its vote rows.
"""

from __future__ import annotations

import random
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from typing import Any, TypeVar

import pytest
from sqlalchemy import select

from forum.extensions import db
from ideas.models import Idea, Vote
from ideas.services import propose_idea
from tests.conftest import PASSWORD
from tests.helpers import csrf_token

CUSTOMERS = 40
T = TypeVar("T")


class _EveryStatus(urllib.request.HTTPErrorProcessor):
    """Hand back every response as it came: no redirects followed, no HTTPError raised."""

    def http_response(self, request: Any, response: Any) -> Any:
        return response

    https_response = http_response


class Customer:
    """One person in a browser of their own: a cookie jar and the page's CSRF token."""

    def __init__(self, base_url: str, username: str, htmx: bool) -> None:
        self.username = username
        self.htmx = htmx
        self._base_url = base_url
        self._opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),
            urllib.request.HTTPCookieProcessor(CookieJar()), _EveryStatus())
        self._token = ""

    def _open(self, path: str, form: dict[str, str] | None = None,
              headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        url = self._base_url + path  # always the live server's http://127.0.0.1:port
        request = urllib.request.Request(url, data=data, headers=headers or {})  # noqa: S310
        with self._opener.open(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read().decode()

    def sign_in(self, idea_path: str) -> None:
        """Sign in through the real form, then open the idea as a voter would."""
        status, _, page = self._open("/signin")
        assert status == 200, page
        status, headers, page = self._open("/signin", {
            "login": self.username, "password": PASSWORD, "csrf_token": csrf_token(page)})
        assert status == 302 and "/signin" not in headers["Location"], (status, page)
        status, _, page = self._open(idea_path)
        assert status == 200 and f"Signed in as {self.username}." in page, (status, page)
        self._token = csrf_token(page)  # signing in starts a new session, so a new token

    def vote(self, vote_path: str, action: str) -> int:
        """Press the vote button: an htmx swap (200) or a form post and redirect (302)."""
        headers = {"HX-Request": "true"} if self.htmx else {}
        status, _, page = self._open(
            vote_path, {"action": action, "csrf_token": self._token}, headers)
        expected = 200 if self.htmx else 302
        assert status == expected, f"{self.username} {action}: {status}\n{page}"
        return status


def all_at_once(calls: list[Callable[[], T]]) -> list[T]:
    """Run every call on a thread of its own, released together by a barrier."""
    barrier = threading.Barrier(len(calls), timeout=120)  # a guard against hanging, no more

    def run(call: Callable[[], T]) -> T:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


@dataclass
class Tally:
    vote_count: int
    trend_score: float
    rows: int
    voters: set[int] = field(repr=False)
    weights: list[float] = field(repr=False)


def tally(idea_id: int) -> Tally:
    """What the workers committed, read after ending the test's own read transaction."""
    db.session.rollback()
    idea = db.session.get(Idea, idea_id)
    assert idea is not None
    votes = db.session.execute(
        select(Vote.user_id, Vote.weight).where(Vote.idea_id == idea_id)).all()
    return Tally(vote_count=idea.vote_count, trend_score=idea.trend_score, rows=len(votes),
                 voters={vote.user_id for vote in votes},
                 weights=[vote.weight for vote in votes])


def assert_counted_exactly(idea_id: int, voters: set[int]) -> None:
    counted = tally(idea_id)
    assert counted.voters == voters
    assert (counted.vote_count, counted.rows) == (len(voters), len(voters)), counted
    assert counted.trend_score == pytest.approx(sum(counted.weights), rel=1e-9)


def test_concurrent_votes_through_several_server_processes_count_exactly_once(
    app, make_user, make_company, live_gunicorn
):
    company = make_company("acme")
    proposer = make_user("proposer")
    idea = propose_idea(proposer, company, title="Descale reminder in the app",
                        body="The Breeze should tell me when it needs descaling.")
    people = [make_user(f"customer{number}") for number in range(CUSTOMERS)]
    db.session.commit()
    idea_id, ids = idea.id, {person.username: person.id for person in people}
    idea_path = f"/c/acme/ideas/{idea.thread_id}-{idea.thread.slug}"
    vote_path = f"/c/acme/ideas/{idea.thread_id}/vote"
    assert_counted_exactly(idea_id, {proposer.id})

    server = live_gunicorn(workers=4, threads=4)
    customers = [Customer(server.url, username, htmx=number % 2 == 1)
                 for number, username in enumerate(ids)]
    with ThreadPoolExecutor(max_workers=CUSTOMERS) as pool:
        list(pool.map(lambda customer: customer.sign_in(idea_path), customers))

    # Everyone votes at once.
    all_at_once([lambda c=c: c.vote(vote_path, "cast") for c in customers])
    assert_counted_exactly(idea_id, {proposer.id, *ids.values()})
    assert tally(idea_id).vote_count == CUSTOMERS + 1

    # Half take their vote back, twice over, while the other half vote again (no-ops).
    leaving, staying = customers[:CUSTOMERS // 2], customers[CUSTOMERS // 2:]
    all_at_once([lambda c=c: c.vote(vote_path, "retract") for c in leaving * 2]
                + [lambda c=c: c.vote(vote_path, "cast") for c in staying])
    remaining = {proposer.id, *(ids[c.username] for c in staying)}
    assert_counted_exactly(idea_id, remaining)
    assert tally(idea_id).vote_count == CUSTOMERS // 2 + 1

    # One customer presses the button ten times at once: one vote.
    returning = leaving[0]
    all_at_once([lambda: returning.vote(vote_path, "cast")] * 10)
    remaining.add(ids[returning.username])
    assert_counted_exactly(idea_id, remaining)

    # Everyone casts twice and retracts once, in a shuffled order, all at once: whoever
    # ends up voting, the counters still match the rows.
    presses = [(c, action) for c in customers for action in ("cast", "cast", "retract")]
    random.Random(CUSTOMERS).shuffle(presses)
    all_at_once([lambda c=c, a=a: c.vote(vote_path, a) for c, a in presses])
    counted = tally(idea_id)
    assert proposer.id in counted.voters and counted.voters <= {proposer.id, *ids.values()}
    assert_counted_exactly(idea_id, counted.voters)
