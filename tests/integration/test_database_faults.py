"""Database faults: a database that is down, cut off or locked gets a 503 with
Retry-After and a friendly page, never a bare 500; the next request after a cut
succeeds; visitors get kept pages meanwhile; /healthz says what is down."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, create_engine, make_url, select, text
from sqlalchemy.pool import NullPool

from forum import database
from forum.extensions import db
from forum.threads.models import Post, Thread
from tests.conftest import PASSWORD, POSTGRES_URL
from tests.relay import Relay

CACHE = "X-Page-Cache"
FRIENDLY = "reach its database"
on_postgres = pytest.mark.skipif(not POSTGRES_URL, reason="needs TEST_DATABASE_URL")
on_sqlite = pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite's own faults")


def assert_database_page(response, *, fragment: bool = False) -> str:
    """A 503 that says the database is the fault, and when to come back."""
    body = response.get_data(as_text=True)
    assert response.status_code == 503, body[:500]
    assert response.headers["Retry-After"] == "30"
    assert "no-store" in response.headers["Cache-Control"]  # no cache keeps it
    assert FRIENDLY in body and "not lost" in body
    assert ("<html" in body) is not fragment
    return body


def bodies(thread: Thread) -> list[str]:
    """The thread's posts as committed, oldest first."""
    db.session.rollback()
    return list(db.session.scalars(
        select(Post.body_source).where(Post.thread_id == thread.id).order_by(Post.id)))


def thread_url(thread: Thread) -> str:
    return f"/c/{thread.company.slug}/t/{thread.id}-{thread.slug}"


def signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/signin", data={"login": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def terminate_backends(connection: Connection) -> int:
    """Cut every other connection to this database, waiting until each is gone."""
    return len(connection.execute(text(
        "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()")).all())


class Outage:
    """Apps whose database a test takes away and gives back, as an outage would: on
    PostgreSQL they reach it through a relay that is cut; on SQLite its file is moved
    away and a directory put in its place, so that nothing opens it."""

    def __init__(self, app_factory: Callable[..., Flask], database_uri: str) -> None:
        self._app_factory = app_factory
        self._database_uri = database_uri
        self._apps: list[Flask] = []
        self.relay: Relay | None = None
        if POSTGRES_URL:
            url = make_url(database_uri)
            self.relay = Relay(url.host or "localhost", url.port or 5432)

    def app(self, **overrides: object) -> Flask:
        if self.relay is not None:
            overrides["SQLALCHEMY_DATABASE_URI"] = make_url(self._database_uri).set(
                host="127.0.0.1", port=self.relay.port).render_as_string(hide_password=False)
        app = self._app_factory(**overrides)
        self._apps.append(app)
        return app

    @contextmanager
    def down(self) -> Iterator[None]:
        db.session.remove()  # the test's own session holds no connection through it
        if self.relay is not None:
            self.relay.cut()
            try:
                yield
            finally:
                self.relay.restore()
            return
        with self._file_away():
            yield

    @contextmanager
    def _file_away(self) -> Iterator[None]:
        for app in self._apps:
            with app.app_context():
                db.engine.dispose()  # what the pool holds would go on reading the moved file
        path = Path(self._database_uri.removeprefix("sqlite:///"))
        moved = [(Path(f"{path}{suffix}"), Path(f"{path}{suffix}.away"))
                 for suffix in ("", "-wal", "-shm") if Path(f"{path}{suffix}").exists()]
        for source, target in moved:
            source.rename(target)
        path.mkdir()
        try:
            yield
        finally:
            path.rmdir()
            for source, target in moved:
                target.rename(source)

    def close(self) -> None:
        if self.relay is not None:
            self.relay.close()


@pytest.fixture
def outage(app: Flask, app_factory: Callable[..., Flask], database_uri: str) -> Iterator[Outage]:
    """`outage.app()` builds an app; `with outage.down():` its database is unreachable."""
    found = Outage(app_factory, database_uri)
    yield found
    found.close()


@pytest.fixture
def acme_thread(make_company, make_thread, make_user) -> Thread:
    make_user("alice", display_name="Alice Archer")
    thread = make_thread(make_company("acme"), title="Descaling the Breeze")
    db.session.commit()
    return thread


# --- connections cut under a running app (PostgreSQL) ---------------------------------


@on_postgres
@pytest.mark.parametrize("pre_ping", [True, False], ids=["pre-ping", "no-pre-ping"])
def test_a_signed_in_customer_gets_past_connections_being_cut(app_factory, acme_thread,
                                                             database_uri, pre_ping):
    app = app_factory(SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": pre_ping})
    client = signed_in(app, "alice")
    assert "Alice Archer" in client.get(thread_url(acme_thread)).get_data(as_text=True)
    db.session.remove()
    admin = create_engine(database_uri, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        assert terminate_backends(connection) >= 1
    admin.dispose()

    first = client.get(thread_url(acme_thread))
    if pre_ping:  # the pool notices the dead connection before lending it
        assert first.status_code == 200
    else:  # the cut reaches the request: a friendly 503, never the error page failing
        assert_database_page(first)
    after = client.get(thread_url(acme_thread))
    assert after.status_code == 200
    page = after.get_data(as_text=True)
    assert "Account menu for alice" in page and "Descaling the Breeze" in page


@on_postgres
def test_a_write_on_a_cut_connection_is_a_503_and_sending_it_again_succeeds(
        app_factory, acme_thread, database_uri):
    app = app_factory(SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": False})
    client = signed_in(app, "alice")
    saved = bodies(acme_thread)
    db.session.remove()
    admin = create_engine(database_uri, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        terminate_backends(connection)
    admin.dispose()
    reply = f"/c/acme/t/{acme_thread.id}/reply"
    assert_database_page(client.post(reply, data={"body": "Vinegar works for me."}))
    assert client.post(reply, data={"body": "Vinegar works for me."}).status_code == 302
    assert bodies(acme_thread) == [*saved, "Vinegar works for me."]


@on_postgres
def test_a_connection_cut_as_a_request_ends_does_not_fail_it(app_factory, database_uri):
    app = app_factory()
    with app.app_context():  # as every request ends: its app context is popped
        assert db.session.scalar(text("SELECT 1")) == 1  # its transaction still open
        admin = create_engine(database_uri, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            assert terminate_backends(connection) >= 1
        admin.dispose()
    with app.app_context():
        assert db.session.scalar(text("SELECT 1")) == 1


def test_a_database_at_a_closed_port_is_a_503_on_every_page(app_factory):
    app = app_factory(SQLALCHEMY_DATABASE_URI=(
        "postgresql+psycopg://cocreate@127.0.0.1:1/cocreate?connect_timeout=2"))
    client = app.test_client()
    for path in ("/", "/c/acme", "/c/acme/forum", "/c/acme/t/1-descaling", "/u/alice",
                 "/search?q=descale", "/c/acme/ideas"):
        assert_database_page(client.get(path))
    assert_database_page(client.post("/signin", data={"login": "alice",
                                                      "password": PASSWORD}))
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.get_json()["database"] == "error"
    assert health.get_json()["database_error"] == "OperationalError"


# --- the database down, then back ------------------------------------------------------


def test_every_page_is_a_503_while_the_database_is_down_and_all_is_there_after(
        outage, acme_thread):
    app = outage.app()
    visitor, alice = app.test_client(), signed_in(app, "alice")
    thread = thread_url(acme_thread)
    with outage.down():
        for path in ("/", "/c/acme", "/c/acme/forum", thread, "/u/alice", "/c/acme/ideas",
                     "/search?q=descale"):
            assert_database_page(visitor.get(path))
        for path in ("/", "/home", "/notifications", thread):
            page = assert_database_page(alice.get(path))
            assert "Sign out" not in page and "Sign in" not in page  # no account to show
        assert_database_page(alice.get(thread, headers={"HX-Request": "true"}),
                             fragment=True)
        reply = f"/c/acme/t/{acme_thread.id}/reply"
        assert_database_page(alice.post(reply, data={"body": "Lost in the outage?"}))
        assert_database_page(alice.post(reply, data={"body": "Lost in the outage?"},
                                        headers={"HX-Request": "true"}), fragment=True)
    assert visitor.get(thread).status_code == 200
    page = alice.get("/home").get_data(as_text=True)
    assert "Account menu for alice" in page
    assert alice.post(reply, data={"body": "Back again."}).status_code == 302
    assert "Back again." in alice.get(thread).get_data(as_text=True)


def test_the_api_answers_a_problem_503_while_the_database_is_down(outage, acme_thread):
    client, thread_id = outage.app().test_client(), acme_thread.id
    with outage.down():
        for method, path in (("GET", "/api/v1/companies/acme/threads"),
                             ("GET", f"/api/v1/companies/acme/threads/{thread_id}"),
                             ("POST", f"/api/v1/companies/acme/threads/{thread_id}/posts")):
            response = client.open(path, method=method, json={"body": "Lost?"},
                                   headers={"Authorization": "Bearer cc_pat_x"})
            assert response.status_code == 503, (path, response.get_data(as_text=True))
            assert response.mimetype == "application/problem+json"
            assert response.headers["Retry-After"] == "30"
            assert "not lost" in response.get_json()["detail"]
    assert client.get("/api/v1/companies/acme/threads").status_code == 200


def test_a_fault_after_the_view_is_a_503_too(outage, acme_thread):
    # /healthz reads no account; the response's headers do, once the view has answered.
    app = outage.app(PROPAGATE_EXCEPTIONS=False)  # as in production: handled, not raised
    alice = signed_in(app, "alice")
    with outage.down():
        assert_database_page(alice.get("/healthz"))


def test_a_visitor_gets_kept_pages_while_the_database_is_down(outage, acme_thread):
    app = outage.app(PAGE_CACHE_SECONDS=60)
    visitor, alice = app.test_client(), signed_in(app, "alice")
    thread = thread_url(acme_thread)
    assert visitor.get(thread).headers[CACHE] == "miss"
    kept = visitor.get("/c/acme")
    with outage.down():
        again = visitor.get(thread)
        assert again.status_code == 200 and again.headers[CACHE] == "stale"
        assert "Descaling the Breeze" in again.get_data(as_text=True)
        assert visitor.get("/c/acme").data == kept.data
        assert_database_page(visitor.get("/c/acme/forum"))  # never kept: nothing to show
        assert_database_page(alice.get(thread))  # a signed-in page is rendered for her
    assert visitor.get(thread).status_code == 200


def test_search_says_the_database_is_down_not_that_the_index_is_rebuilding(
        outage, acme_thread, run_indexer, search_index_dir, caplog):
    client = outage.app().test_client()
    with outage.down(), caplog.at_level(logging.INFO, logger="forum.search"):
        body = assert_database_page(client.get("/search?q=descale"))
    assert "Search is temporarily unavailable" not in body and "rebuil" not in body
    assert not any("Rebuilding" in message for message in caplog.messages)
    assert not search_index_dir.exists()

    run_indexer()
    assert client.get("/search?q=descale").status_code == 200
    with outage.down():
        assert_database_page(client.get("/search?q=descale"))
    assert client.get("/search?q=descale").status_code == 200


def test_healthz_says_which_part_is_down(outage, run_indexer):
    client = outage.app().test_client()
    assert client.get("/healthz").get_json() == {
        "status": "ok", "database": "ok", "search": "missing"}
    run_indexer()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "search": "ok"}
    with outage.down():
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "error",
                                   "database_error": "OperationalError", "search": "ok"}
    assert client.get("/healthz").status_code == 200


# --- the error page itself never fails -------------------------------------------------


def test_an_error_page_that_cannot_be_rendered_is_still_an_answer(outage, tmp_path):
    app = outage.app()
    app.template_folder = str(tmp_path / "no-templates")  # a deploy that lost them
    client = app.test_client()
    response = client.get("/")
    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)
    with outage.down():
        response = client.get("/")
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert FRIENDLY in response.get_data(as_text=True)


# --- SQLite's own faults: a file that cannot be opened, a lock held too long ------------


def test_a_database_file_that_cannot_be_opened_is_a_503(app_factory, tmp_path):
    for uri in (f"sqlite:///{tmp_path}/missing/dir/cocreate.db", f"sqlite:///{tmp_path}"):
        client = app_factory(SQLALCHEMY_DATABASE_URI=uri).test_client()
        assert_database_page(client.get("/"))
        assert_database_page(client.get("/c/acme"))
        assert client.get("/healthz").status_code == 503


@on_sqlite
def test_a_write_that_finds_the_database_locked_is_a_503_then_succeeds(
        app_factory, acme_thread, database_uri, monkeypatch):
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 100)  # read as connections open
    app = app_factory()
    alice = signed_in(app, "alice")
    reply = f"/c/acme/t/{acme_thread.id}/reply"
    saved = bodies(acme_thread)
    holder = sqlite3.connect(database_uri.removeprefix("sqlite:///"), isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")  # say, a backup or another program
        assert_database_page(alice.post(reply, data={"body": "Vinegar works for me."}))
        assert alice.get(thread_url(acme_thread)).status_code == 200  # readers go on
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert alice.post(reply, data={"body": "Vinegar works for me."}).status_code == 302
    assert bodies(acme_thread) == [*saved, "Vinegar works for me."]
