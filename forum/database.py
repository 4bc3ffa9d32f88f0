"""Database plumbing shared by every area: SQLite settings, write transactions, upserts,
and telling a database that is down or cut off from a statement that is wrong."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from sqlalchemy import Engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import (
    DBAPIError,
    InterfaceError,
    OperationalError,
    PendingRollbackError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert

from forum.extensions import db

try:
    import fcntl
except ImportError:  # not on Windows: writers then wait only on SQLite's busy timeout
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

WRITE_OPTION = "cocreate_write"
BUSY_TIMEOUT_MS = 10_000
_TURN_FD = "cocreate_writer_turn_fd"  # on a pooled connection: its writer-queue file
_DEPTH = "cocreate_write_depth"  # on a session: how many write_transaction()s are open
_DOOMED = "cocreate_write_doomed"  # on a session: an inner block failed, roll back

# Errors that say the database cannot be used just now (down, restarting, cut off,
# locked, out of connections), not that a statement was wrong: worth trying again.
DATABASE_FAULTS = (OperationalError, InterfaceError, PendingRollbackError, PoolTimeout)


def utcnow() -> datetime:
    """Naive UTC, as stored in every timestamp column on both databases."""
    return datetime.now(UTC).replace(tzinfo=None)


def configure_database(app: Flask) -> None:
    """Bind SQLAlchemy and, on SQLite, make every connection safe for several processes."""
    db.init_app(app)
    # Registered after Flask-SQLAlchemy's own teardown, so it runs before it.
    app.teardown_appcontext(_close_session)
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            _tune_sqlite(engine)


def is_database_fault(error: BaseException) -> bool:
    """The database could not be reached or used just now, rather than a bug."""
    return isinstance(error, DATABASE_FAULTS) or (
        isinstance(error, DBAPIError) and error.connection_invalidated)


def recover_session(error: BaseException) -> None:
    """After a database fault, end the request's transaction so that nothing else runs
    on it; a connection that was cut is thrown away rather than lent out again."""
    session = db.session()
    cut = isinstance(error, InterfaceError) or (
        isinstance(error, DBAPIError) and error.connection_invalidated)
    try:
        if cut:
            session.invalidate()
        else:
            session.rollback()
    except SQLAlchemyError:  # the rollback itself found the connection gone
        session.invalidate()


def check_database() -> None:
    """Raise the database's own error unless it answers, on a connection of its own."""
    with db.engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def _close_session(_error: BaseException | None) -> None:
    """End the request's session even when its connection was cut after its last
    statement (a PostgreSQL restart): the rollback that closing sends then fails, and
    a failing teardown would turn an answered request into the server's bare 500."""
    if not db.session.registry.has():
        return
    session = db.session()
    try:
        session.close()
    except SQLAlchemyError as error:
        log.warning("The database connection was lost as a request ended: %s",
                    next(iter(str(error).splitlines()), type(error).__name__))
        session.invalidate()


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


@contextmanager
def sqlite_writers_waiting(database: str) -> Iterator[None]:
    """Take the writers' turn on this SQLite file, as a write transaction does, and keep
    it for the block (a restore): the app's writers queue behind it. Like theirs, the
    wait ends after the busy timeout, and SQLite's own lock then keeps them apart."""
    queue = _WriterQueue.beside(database)
    info: dict[str, Any] = {}
    if queue is not None:
        queue.wait_turn(info)
    try:
        yield
    finally:
        if queue is not None:
            queue.close(info)


def _begin_write(session: Session) -> None:
    """Start the write transaction now (BEGIN IMMEDIATE on SQLite).

    Anything read earlier in the request (the signed-in user) ran in a read transaction;
    it is ended first, because a SQLite read transaction cannot safely become a writer.
    """
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={WRITE_OPTION: True})


@contextmanager
def write_transaction(*, keep_loaded: bool = False) -> Iterator[Session]:
    """The one way to write: `with write_transaction():` commits once at the end.

    Nestable: an inner one joins the outer, so a service built of other services (a
    merge that moves votes, a view that reads the thread it writes to) writes once, and
    nothing but the outermost block commits or rolls back. An exception out of an inner
    block rolls the whole transaction back, even if an outer block catches it.
    `keep_loaded` commits without expiring what the session holds, for a caller that
    shows it next; only for changes that are on the loaded objects too (values a
    statement returned, set with `set_committed_value`), so that the objects are what
    was committed.
    """
    session = db.session()
    depth = session.info.get(_DEPTH, 0)
    if depth:
        session.info[_DEPTH] = depth + 1
        try:
            yield session
        except BaseException:
            # Caught further out or not, what the inner block wrote may be half done:
            # the whole transaction is rolled back, never committed.
            session.info[_DOOMED] = True
            raise
        finally:
            session.info[_DEPTH] = depth
        return
    _begin_write(session)
    session.info[_DEPTH] = 1
    try:
        yield session
        if session.info.get(_DOOMED):
            session.rollback()
            return
        expire, session.expire_on_commit = session.expire_on_commit, not keep_loaded
        try:
            session.commit()
        finally:
            session.expire_on_commit = expire
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info.pop(_DEPTH, None)
        session.info.pop(_DOOMED, None)


def in_write_transaction() -> bool:
    """True inside `with write_transaction():` (record() insists on it)."""
    return bool(db.session().info.get(_DEPTH))


def insert_ignoring_conflicts(table: Any, session: Session | None = None) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING for the dialect of `session` (the request's
    session by default; a worker passes its own)."""
    dialect = (session or db.session()).get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table).on_conflict_do_nothing()
