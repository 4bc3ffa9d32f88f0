"""Database plumbing shared by every area: SQLite settings, write transactions, upserts."""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

from flask import Flask
from sqlalchemy import Engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from forum.extensions import db

try:
    import fcntl
except ImportError:  # not on Windows: writers then wait only on SQLite's busy timeout
    fcntl = None  # type: ignore[assignment]

WRITE_OPTION = "cocreate_write"
# On a connection whose writes change nothing a visitor can see (when a session was last
# seen): kept pages stay current, so the page cache's content version is not bumped.
PRIVATE_WRITE = "cocreate_private_write"
BUSY_TIMEOUT_MS = 10_000
_TURN_FD = "cocreate_writer_turn_fd"  # on a pooled connection: its writer-queue file

P = ParamSpec("P")
R = TypeVar("R")


def utcnow() -> datetime:
    """Naive UTC, as stored in every timestamp column on both databases."""
    return datetime.now(UTC).replace(tzinfo=None)


def configure_database(app: Flask) -> None:
    """Bind SQLAlchemy and, on SQLite, make every connection safe for several processes."""
    db.init_app(app)
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            _tune_sqlite(engine)


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS:d}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    queue = _WriterQueue.beside(engine.url.database)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A write transaction takes the write lock up front, so two processes writing at
        # once queue on busy_timeout instead of failing with "database is locked".
        if not connection.get_execution_options().get(WRITE_OPTION, False):
            connection.exec_driver_sql("BEGIN")
            return
        if queue is not None:
            queue.wait_turn(connection.info)
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    if queue is not None:
        event.listen(engine.pool, "checkin", lambda _c, record: queue.end_turn(record.info))
        event.listen(engine.pool, "invalidate",
                     lambda _c, record, _e: queue.close(record.info))
        event.listen(engine.pool, "close", lambda _c, record: queue.close(record.info))


class _WriterQueue:
    """Writers to one SQLite file take turns on a lock file beside it, handed over at once.

    SQLite makes a writer that finds its lock taken sleep and retry (1, 2, 5, 10 ms and
    longer), so two workers voting at once spent most of their time asleep while the lock
    was already free. A kernel file lock wakes the next writer the moment the last one
    returns its connection to the pool, after its commit. It only shortens waits: a
    writer that cannot get its turn within the busy timeout begins anyway and SQLite
    decides, and transactions that do not take turns (the search indexer, deferred ones)
    are still kept apart by SQLite's own lock.
    """

    def __init__(self, path: str) -> None:
        self.path = path

    @classmethod
    def beside(cls, database: str | None) -> _WriterQueue | None:
        if fcntl is None or not database or database == ":memory:" \
                or database.startswith("file:"):
            return None
        return cls(f"{database}-writers")

    def wait_turn(self, info: dict[str, Any]) -> None:
        descriptor = info.get(_TURN_FD)
        if descriptor is None:
            descriptor = info[_TURN_FD] = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        pause = 0.0001
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return  # SQLite's busy timeout takes over
                time.sleep(pause)  # far shorter than SQLite's sleeps
                pause = min(pause * 2, 0.001)

    def end_turn(self, info: dict[str, Any]) -> None:
        descriptor = info.get(_TURN_FD)
        if descriptor is not None:
            fcntl.flock(descriptor, fcntl.LOCK_UN)

    def close(self, info: dict[str, Any]) -> None:
        descriptor = info.pop(_TURN_FD, None)
        if descriptor is not None:
            os.close(descriptor)  # closing also ends any turn it held


def begin_write() -> None:
    """Start the current service's write transaction now (BEGIN IMMEDIATE on SQLite).

    Anything read earlier in the request (the signed-in user) ran in a read transaction;
    it is ended first, because a SQLite read transaction cannot safely become a writer.
    """
    session = db.session()
    if session.in_transaction():
        if session.connection().get_execution_options().get(WRITE_OPTION):
            return  # already writing: a service composed of others keeps one transaction
        session.commit()
    session.connection(execution_options={WRITE_OPTION: True})


def writes(view: Callable[P, R]) -> Callable[P, R]:
    """For a view that writes: its transaction is the write one from the first statement.

    The signed-in user, the thread and whatever the policy looks at are then read in the
    transaction that writes, so `begin_write` has no read transaction to end, and nothing
    loaded is expired and read a second time.
    """
    @functools.wraps(view)
    def in_write_transaction(*args: P.args, **kwargs: P.kwargs) -> R:
        begin_write()
        return view(*args, **kwargs)

    return in_write_transaction


def commit_keeping_loaded() -> None:
    """Commit without expiring what the session holds, for a caller that shows it next.

    Only for a service whose changes are on the loaded objects too (values a statement
    returned, set with `set_committed_value`): the objects are then what was committed.
    """
    session = db.session()
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def insert_ignoring_conflicts(table: Any) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING for the dialect in use."""
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table).on_conflict_do_nothing()
