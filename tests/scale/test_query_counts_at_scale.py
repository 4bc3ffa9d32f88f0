"""The hot pages' SQL counts, held against real volumes: a data set of scale S.

The small tests (threads/test_community.py, ideas/test_ideas.py) prove that a page runs
as many statements with 8 rows as with 2. Here `bench/generate.py --scale S` fills a
database (20,000 ideas, 200,000 votes, 50,000 threads, 150,000 posts, skewed as real
communities are) and each hot page of the biggest company, its most-discussed idea and
its longest thread, runs exactly as many statements as the same page for the smallest
company, an idea or a thread with a reply or two, or a profile with a single post: full
pages against nearly empty ones, with real volumes behind both.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url

from forum import create_app
from forum.companies.services import get_company
from forum.extensions import db
from forum.pagination import MAX_PAGE
from forum.threads import queries as thread_queries
from ideas import queries as ideas_queries
from ideas.models import Status
from tests.conftest import PLUGINS, POSTGRES_URL, IsolatedClient, make_config

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
BENCH_USERNAME = "benchuser"  # bench/shared.py: the generated customer with no staff role
BENCH_PASSWORD = "bench-password"


def _postgres_scale_url() -> str:
    """A database of its own beside the suite's, dropped and created for this run."""
    base = make_url(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1)
                    if POSTGRES_URL.startswith("postgresql://") else POSTGRES_URL)
    name = f"{base.database}_bench_scale_s"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def scale_s_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = (_postgres_scale_url() if POSTGRES_URL else
           f"sqlite:///{tmp_path_factory.mktemp('scale') / 'cocreate-bench-S.db'}")
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "--scale", "S",
                    "--database-url", url, "--no-index"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    return url


@pytest.fixture(scope="module")
def scale_app(scale_s_url: str) -> Iterator[Flask]:
    app = create_app(make_config(scale_s_url), plugins=PLUGINS)
    app.test_client_class = IsolatedClient
    yield app
    with app.app_context():
        db.engine.dispose()


def _last_page(fetch: Callable[[int], Any]) -> tuple[int, int]:
    """The number of a list's last page, and how many rows it has."""
    low, high = 1, 1
    while fetch(high).has_next:
        low, high = high, high * 2
    while low < high:  # the first page with nothing after it is in (low, high]
        middle = (low + high) // 2
        low, high = (middle + 1, high) if fetch(middle).has_next else (low, middle)
    return high, len(fetch(high).items)


@pytest.fixture(scope="module")
def picks(scale_app: Flask) -> dict[str, Any]:
    """The biggest and the smallest of each kind of page, found in the generated data."""
    with scale_app.app_context():
        c = db.session.connection()
        companies = c.execute(text(
            "SELECT c.slug, count(i.id) AS ideas FROM companies c JOIN ideas i "
            "ON i.company_id = c.id GROUP BY c.slug ORDER BY count(i.id) DESC")).all()
        big, small = (get_company(companies[i].slug) for i in (0, -1))
        # The small company's board filtered to the status whose last page is the emptiest,
        # with a row still: a board with none has no rows' tags to read (its duplicates,
        # all merged, are on no board).
        lasts = ((status, *_last_page(lambda page, status=status: ideas_queries.board(
            small, sort="newest", status=status, page=page)))
            for status in (s.value for s in Status))
        status, board_page, _rows = min((last for last in lasts if last[2]),
                                        key=lambda found: found[2])
        forum_page, _rows = _last_page(lambda page: thread_queries.latest_threads(small, page))

        def longest_and_shortest(kind: str) -> list[Any]:
            """The longest thread of a kind and a short one like it (accepted answer or not,
            answered or not): a page shows those, whatever its length."""
            ideas = "JOIN ideas i ON i.thread_id = t.id AND i.merged_into_id IS NULL"
            columns = (f"SELECT c.slug, t.id, t.slug AS thread_slug, t.reply_count, t.kind, "
                       f"t.accepted_post_id IS NULL AS unaccepted, t.answered_at IS NULL AS "
                       f"unanswered FROM threads t JOIN companies c ON c.id = t.company_id "
                       f"{ideas if kind == 'idea' else ''} WHERE t.hidden_at IS NULL "
                       f"AND t.kind {'=' if kind == 'idea' else '!='} 'idea'")
            longest = c.execute(text(f"{columns} ORDER BY t.reply_count DESC LIMIT 1")).one()
            shortest = c.execute(text(
                f"{columns} AND t.kind = :kind AND t.reply_count BETWEEN 1 AND 3 "
                "AND (t.accepted_post_id IS NULL) = :unaccepted "
                "AND (t.answered_at IS NULL) = :unanswered ORDER BY t.id LIMIT 1"),
                {"kind": longest.kind, "unaccepted": longest.unaccepted,
                 "unanswered": longest.unanswered}).one()
            return [shortest, longest]

        ideas, threads = longest_and_shortest("idea"), longest_and_shortest("other")
        # People who proposed and voted, by posts: profiles list posts, threads, ideas
        # and votes.
        authors = c.execute(text(
            "SELECT u.username, count(*) AS posts FROM posts p JOIN users u "
            "ON u.id = p.author_id WHERE EXISTS (SELECT 1 FROM votes v WHERE v.user_id = u.id) "
            "AND EXISTS (SELECT 1 FROM threads t WHERE t.author_id = u.id AND t.kind = 'idea') "
            "GROUP BY u.username ORDER BY count(*) DESC, u.username")).all()
    assert ideas[0].reply_count <= 2 < 300 <= ideas[1].reply_count
    assert threads[0].reply_count <= 2 < 300 <= threads[1].reply_count
    assert companies[0].ideas > 10 * companies[-1].ideas
    assert authors[-1].posts < 3 and authors[0].posts > 100
    return {"big": big.slug, "small": small.slug, "status": status,
            "board_page": board_page, "forum_page": forum_page, "ideas": ideas,
            "threads": threads, "profiles": [authors[-1].username, authors[0].username]}


def _pairs(p: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """(nearly empty, full) URLs of each hot page."""
    def idea(row: Any) -> str:
        return f"/c/{row.slug}/ideas/{row.id}-{row.thread_slug}"

    def thread(row: Any) -> str:
        return f"/c/{row.slug}/t/{row.id}-{row.thread_slug}"

    small, big = f"/c/{p['small']}", f"/c/{p['big']}"
    board = f"/ideas?status={p['status']}&sort=newest"
    return {
        "company": (small, big),
        "forum": (f"{small}/forum?page={p['forum_page']}", f"{big}/forum"),
        "board": (f"{small}{board}&page={p['board_page']}", f"{big}/ideas"),
        "board_top": (f"{small}{board}&page={p['board_page']}", f"{big}/ideas?sort=top"),
        "board_status": (f"{small}{board}&page={p['board_page']}", f"{big}{board}"),
        "roadmap": (f"{small}/roadmap", f"{big}/roadmap"),
        # 20,000 ideas are deeper than the deepest page: the small test covers few rows.
        "trending": (f"/ideas?page={MAX_PAGE}", "/ideas"),
        "idea": (idea(p["ideas"][0]), idea(p["ideas"][1])),
        "idea_page_2": (idea(p["ideas"][0]), idea(p["ideas"][1]) + "?page=2"),
        "thread": (thread(p["threads"][0]), thread(p["threads"][1])),
        "profile": (f"/u/{p['profiles'][0]}", f"/u/{p['profiles'][1]}"),
    }


@contextmanager
def _counting(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _statements(app: Flask, client: FlaskClient, url: str) -> int:
    with app.app_context():
        engine = db.engine
    with _counting(engine) as recorded:
        answer = client.get(url)
    assert answer.status_code == 200, url
    return len(recorded)


PAGES = ["company", "forum", "board", "board_top", "board_status", "roadmap", "trending",
         "idea", "idea_page_2", "thread", "profile"]


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
@pytest.mark.parametrize("page", PAGES)
def test_hot_pages_run_as_many_queries_full_as_nearly_empty(scale_app, picks, page,
                                                             signed_in):
    client = scale_app.test_client()
    if signed_in:
        answer = client.post("/signin", data={"login": BENCH_USERNAME,
                                              "password": BENCH_PASSWORD})
        assert answer.status_code == 302
    few, many = _pairs(picks)[page]
    _statements(scale_app, client, few)  # warm: the first request loads what every one does
    assert _statements(scale_app, client, many) == _statements(scale_app, client, few)
