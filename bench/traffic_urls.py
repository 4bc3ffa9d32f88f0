"""The pages real traffic visits, read from a generated database, and a Zipf-like draw.

Each kind of page (idea, thread, board, forum, roadmap, profile, home) is a list from
most to least visited; a request picks a kind by its share of traffic, then a page of
that kind with weight 1 / rank**skew, so a few pages are hot and most are rarely seen.
Searches (`--search-share`, none by default) are the first two or three words of the
most visited ideas' titles, as a customer looking for an idea types them.
"""

# ruff: noqa: S608 (SQL is built from this file's own constants, never from input)
from __future__ import annotations

import bisect
import itertools
import random
import urllib.parse
from dataclasses import dataclass, field

from generate import make_app
from sqlalchemy import text

from forum.extensions import db
from forum.threads.urls import path_for, thread_path

# Share of page views per kind, for signed-out visitors and signed-in customers alike
# (signed in, "home" is the customer's /home instead of the start page).
KIND_SHARES = {"idea": 0.35, "thread": 0.25, "board": 0.15, "forum": 0.07,
               "roadmap": 0.05, "profile": 0.08, "home": 0.05}
BOARD_PAGES = 5
PROFILES = 2_000
VISIBLE = "t.hidden_at IS NULL"


@dataclass
class Skewed:
    """Paths of one kind, most visited first, drawn with weight 1 / rank**skew."""

    paths: list[str]
    skew: float
    cumulative: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        weights = (1 / (rank ** self.skew) for rank in range(1, len(self.paths) + 1))
        self.cumulative = list(itertools.accumulate(weights))

    def draw(self, rng: random.Random) -> str:
        point = rng.random() * self.cumulative[-1]
        return self.paths[bisect.bisect_left(self.cumulative, point)]


@dataclass
class Population:
    """What the traffic can visit and change, and who can sign in."""

    pages: dict[str, Skewed]
    votable: Skewed  # vote paths of open and active ideas, most popular first
    replyable: Skewed  # reply paths of open discussions
    customers: list[str]
    home_signed_in: str = "/home"

    def counts(self) -> dict[str, int]:
        found = {kind: len(skewed.paths) for kind, skewed in self.pages.items()}
        return {**found, "votable ideas": len(self.votable.paths),
                "open discussions": len(self.replyable.paths),
                "customers": len(self.customers)}


def read_population(url: str, ideas: int, threads: int, customers: int,
                    skew: float) -> Population:
    """Pages from the database, written by the app's own URL builders."""
    app = make_app(url)
    with app.app_context(), db.engine.connect() as connection:
        companies = list(connection.scalars(text(
            "SELECT c.slug FROM companies c LEFT JOIN threads t ON t.company_id = c.id "
            "GROUP BY c.id, c.slug ORDER BY count(t.id) DESC, c.id")))
        popular = ("SELECT t.id, t.slug, t.kind, c.slug AS company FROM threads t "
                   "JOIN companies c ON c.id = t.company_id {join} "
                   f"WHERE {VISIBLE} {{where}} ORDER BY t.reply_count DESC, t.id LIMIT :n")
        idea_rows = connection.execute(text(popular.format(
            join="JOIN ideas i ON i.thread_id = t.id", where="AND i.merged_into_id IS NULL")),
            {"n": ideas}).all()
        titles = list(connection.scalars(text(
            "SELECT t.title FROM threads t JOIN ideas i ON i.thread_id = t.id "
            f"WHERE {VISIBLE} ORDER BY t.reply_count DESC, t.id LIMIT :n"), {"n": ideas}))
        thread_rows = connection.execute(text(popular.format(
            join="", where="AND t.kind != 'idea'")), {"n": threads}).all()
        votable = connection.execute(text(popular.format(
            join="JOIN ideas i ON i.thread_id = t.id",
            where="AND i.merged_into_id IS NULL AND i.status_category IN ('open', 'active')")),
            {"n": ideas}).all()
        replyable = connection.execute(text(popular.format(
            join="", where="AND t.kind = 'discussion' AND t.state = 'open'")),
            {"n": threads}).all()
        profiles = list(connection.scalars(text(
            "SELECT u.username FROM users u JOIN posts p ON p.author_id = u.id "
            "GROUP BY u.id, u.username ORDER BY count(*) DESC, u.id LIMIT :n"),
            {"n": PROFILES}))
        # Customers: ordinary accounts, staff of no company, in good standing.
        names = list(connection.scalars(text(
            "SELECT u.username FROM users u WHERE NOT u.is_site_admin "
            "AND u.suspended_until IS NULL AND NOT EXISTS "
            "(SELECT 1 FROM memberships m WHERE m.user_id = u.id) ORDER BY u.id LIMIT :n"),
            {"n": customers}))

        def thread_page(row: object) -> str:
            return thread_path(row.company, row.id, row.slug, row.kind)  # type: ignore[attr-defined]

        def company_page(endpoint: str, slug: str, **params: object) -> str:
            return path_for(endpoint, {"slug": slug, **params})

        pages = {
            "idea": [thread_page(row) for row in idea_rows],
            "thread": [thread_page(row) for row in thread_rows],
            # Page 1 of every board first, then page 2, ...: deeper pages are rarer.
            "board": [company_page("ideas.board", slug, **({"page": n} if n > 1 else {}))
                      for n in range(1, BOARD_PAGES + 1) for slug in companies],
            "forum": [company_page("threads.forum", slug) for slug in companies],
            "roadmap": [company_page("ideas.roadmap", slug) for slug in companies],
            "profile": [path_for("accounts.profile", {"username": name}) for name in profiles],
            "home": [path_for("companies.home", {})],
            "search": searches(titles),
        }
        home_signed_in = path_for("notifications.home", {})
        vote_paths = [company_page("ideas.vote", row.company, thread_id=row.id)
                      for row in votable]
        reply_paths = [company_page("threads.reply", row.company, thread_id=row.id)
                       for row in replyable]
    return Population({kind: Skewed(paths, skew) for kind, paths in pages.items()},
                      Skewed(vote_paths, skew), Skewed(reply_paths, skew), names,
                      home_signed_in)


def searches(titles: list[str]) -> list[str]:
    """/search paths for the first two, then three words of each title (as they are
    typed), each query once, the most visited ideas' first."""
    queries = dict.fromkeys(" ".join(title.lower().split()[:count])
                            for title in titles for count in (2, 3))
    return ["/search?" + urllib.parse.urlencode({"q": query}) for query in queries if query]
